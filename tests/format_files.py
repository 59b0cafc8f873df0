"""Real files of every supported format, with Vietnamese text, written by the libraries
that make them (fpdf2, python-docx) or by hand where the format is text (RTF, HTML)."""

import zipfile
from pathlib import Path

from docx import Document as DocxDocument
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from fpdf import FPDF

from retrieval.formats.legacy import to_tcvn3, to_vni

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

PDF_HEADER = "BỘ NGOẠI GIAO - Báo cáo tình hình đối ngoại"
# The second sentence runs over the page break, where a footnote sits.
PDF_BODY = (
    "Bộ Ngoại giao tổ chức họp báo thường kỳ chiều ngày 12 tháng 3 năm 2024 tại Hà Nội. "
    + "Người phát ngôn trả lời câu hỏi của phóng viên về hợp tác quốc tế. " * 80
    + "Việc kết nối in-\nternet giữa hai nước được đẩy mạnh."
)
PDF_FOOTNOTE = "1 Theo thông cáo báo chí số 15 của Bộ Ngoại giao."
PDF_LAST = "Hội nghị thượng đỉnh ASEAN lần thứ 44 diễn ra tại Viêng Chăn."


class _Report(FPDF):
    def header(self) -> None:
        self.set_font("DejaVu", size=9)
        self.cell(0, 6, PDF_HEADER, new_x="LMARGIN", new_y="NEXT")
        self.ln(4)

    def footer(self) -> None:
        if self.page_no() == 1:
            self.set_y(-28)
            self.set_font("DejaVu", size=7)
            self.cell(0, 4, PDF_FOOTNOTE)
        self.set_y(-15)
        self.set_font("DejaVu", size=9)
        self.cell(0, 6, f"Trang {self.page_no()}", align="C")


def write_pdf(path: Path, password: str | None = None) -> Path:
    """Three pages: running header, "Trang N" footers, a paragraph over the first page break
    with a footnote under it, a hyphenated word, and a last paragraph on page 3."""
    pdf = _Report()
    pdf.add_font("DejaVu", "", str(FONT))
    pdf.set_auto_page_break(True, margin=32)
    if password:
        pdf.set_encryption(owner_password="owner", user_password=password)
    pdf.add_page()
    pdf.set_font("DejaVu", size=11)
    pdf.multi_cell(0, 6, PDF_BODY)
    pdf.add_page()
    pdf.multi_cell(0, 6, PDF_LAST)
    pdf.output(str(path))
    return path


def write_pages_pdf(path: Path, pages: list[str]) -> Path:
    """One paragraph a page, as given (legacy-encoded text included)."""
    pdf = FPDF()
    pdf.add_font("DejaVu", "", str(FONT))
    pdf.set_font("DejaVu", size=11)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, text)
    pdf.output(str(path))
    return path


def write_two_column_pdf(path: Path, left: str, right: str) -> Path:
    """One page of two columns, set side by side line for line."""
    pdf = FPDF()
    pdf.add_font("DejaVu", "", str(FONT))
    pdf.set_font("DejaVu", size=10)
    pdf.add_page()
    pdf.set_xy(10, 20)
    pdf.multi_cell(90, 5, left)
    pdf.set_xy(110, 20)
    pdf.multi_cell(90, 5, right)
    pdf.output(str(path))
    return path


def write_scanned_pdf(path: Path) -> Path:
    """A page holding only a picture, as a scanner makes."""
    from PIL import Image

    picture = path.with_suffix(".png")
    Image.new("L", (200, 100), 200).save(picture)
    pdf = FPDF()
    pdf.add_page()
    pdf.image(str(picture), x=10, y=10, w=100)
    pdf.output(str(path))
    picture.unlink()
    return path


def _page_field(paragraph, shown: str) -> None:  # type: ignore[no-untyped-def]
    """A complex PAGE field showing `shown`, as Word writes it."""
    for kind, text in (("begin", None), ("instr", " PAGE "), ("separate", None), ("t", shown)):
        run = paragraph.add_run()
        if kind == "instr":
            node = OxmlElement("w:instrText")
            node.text = text
        elif kind == "t":
            run.text = text
            continue
        else:
            node = OxmlElement("w:fldChar")
            node.set(qn("w:fldCharType"), kind)
        run._r.append(node)
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    paragraph.add_run()._r.append(end)


DOCX_TCVN3 = "Bộ trưởng Bộ Ngoại giao tiếp Đại sứ Nhật Bản tại trụ sở Bộ."


def write_docx(path: Path) -> Path:
    """A government-style letter: a header, the number/date block and the signature block
    as borderless tables, a heading, a page-number field, a .VnTime run holding Unicode
    and a .VnTime paragraph holding TCVN3."""
    document = DocxDocument()
    document.sections[0].header.paragraphs[0].text = "Văn phòng Bộ Ngoại giao"
    top = document.add_table(rows=2, cols=2)
    top.cell(0, 0).text = "BỘ NGOẠI GIAO"
    top.cell(0, 1).text = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    top.cell(1, 0).text = "Số: 125/BC-BNG"
    top.cell(1, 1).text = "Hà Nội, ngày 5 tháng 3 năm 2024"
    document.add_heading("Báo cáo kết quả công tác đối ngoại quý I", level=1)
    paragraph = document.add_paragraph("Trang ")
    _page_field(paragraph, "7")
    paragraph.add_run(" của báo cáo nêu tình hình chung.")
    unicode_run = document.add_paragraph().add_run(
        "Quý I năm 2024 Việt Nam đón 15 đoàn cấp cao nước ngoài."
    )
    unicode_run.font.name = ".VnTime"
    legacy_run = document.add_paragraph().add_run(to_tcvn3(DOCX_TCVN3))
    legacy_run.font.name = ".VnTime"
    bottom = document.add_table(rows=2, cols=2)
    bottom.cell(0, 1).text = "KT. BỘ TRƯỞNG"
    bottom.cell(1, 1).text = "Nguyễn Minh Vũ"
    document.save(str(path))
    return path


def write_zip_bomb_docx(path: Path, megabytes: int = 40) -> Path:
    """A .docx whose document.xml inflates to `megabytes` of zeros."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"0" * (megabytes << 20))
    return path


RTF_VNI = "Cộng hòa xã hội chủ nghĩa Việt Nam độc lập tự do hạnh phúc."


def _rtf_escape(text: str) -> str:
    return "".join(c if ord(c) < 128 else f"\\u{ord(c)}?" for c in text)


def _rtf_bytes(text: str) -> str:
    return "".join(c if ord(c) < 128 else f"\\'{ord(c):02x}" for c in text)


def write_rtf(path: Path) -> Path:
    """Unicode paragraphs as \\uN escapes, and a paragraph typed in a VNI font as bytes."""
    body = (
        "{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0 Times New Roman;}{\\f1 VNI-Times;}}\n"
        f"\\f0 {_rtf_escape('Thông báo về lịch tiếp công dân của Tòa án nhân dân tối cao.')}"
        "\\par\n"
        f"{_rtf_escape('Tòa án tiếp công dân vào thứ Năm hằng tuần tại trụ sở.')}\\par\n"
        f"{{\\f1 {_rtf_bytes(to_vni(RTF_VNI))}}}\\par\n}}"
    )
    path.write_text(body, encoding="ascii")
    return path


def write_html(path: Path, lang: str = "vi", paragraphs: list[str] | None = None) -> Path:
    """A saved news page: navigation, an article with metadata, related links, a footer."""
    paragraphs = paragraphs or [
        "Chiều 12/3, Bộ Ngoại giao tổ chức họp báo thường kỳ tại Hà Nội với sự tham dự "
        "của đông đảo phóng viên trong nước và quốc tế.",
        "Người phát ngôn Phạm Thu Hằng cho biết Việt Nam hoan nghênh mọi nỗ lực nhằm "
        "duy trì hòa bình, ổn định và hợp tác trong khu vực.",
        "Bà cũng thông tin về chuyến thăm chính thức của Thủ tướng tới Nhật Bản vào cuối "
        "tháng này theo lời mời của Chính phủ nước bạn.",
    ]
    article = "".join(f"<p>{p}</p>" for p in paragraphs)
    nav = "".join(f"<li><a href='/m{i}'>Chuyên mục {i}</a></li>" for i in range(12))
    path.write_text(
        f"""<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">
<title>Họp báo thường kỳ Bộ Ngoại giao | Báo Điện tử</title>
<meta property="og:title" content="Họp báo thường kỳ Bộ Ngoại giao">
<meta property="article:published_time" content="2024-03-12T15:00:00+07:00">
</head><body><header><nav><ul>{nav}</ul></nav></header>
<main><article><h1>Họp báo thường kỳ Bộ Ngoại giao</h1>{article}</article></main>
<aside><h3>Tin liên quan</h3><ul><li><a href="/x">Đăng ký nhận bản tin</a></li></ul></aside>
<footer><p>Bản quyền thuộc về Báo Điện tử. Ghi rõ nguồn khi phát hành lại.</p></footer>
</body></html>""",
        encoding="utf-8",
    )
    return path
