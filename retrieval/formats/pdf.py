"""PDF files with a text layer, read with pdfminer.six.

pdfminer's layout analysis gives text boxes in reading order with each line's position and
font size, which is what telling running headers, page numbers and footnotes from the body
takes (see the README for the measurements against pypdf and pdfplumber). Each page's lines
are sorted into body, repeated header/footer, page number and footnote; body lines become
paragraphs (one a line of the text), a paragraph cut by a page break is joined again, and
footnotes follow the paragraph they interrupted rather than splitting it.
"""

import io
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field

from retrieval.formats.model import Extracted, Unreadable
from retrieval.formats.paragraphs import continues, join_lines

_PAGE_NUMBER = re.compile(
    r"[-–—\s]*(?:(?:trang|page|tr\.)\s*)?\d{1,4}(?:\s*(?:/|trên|of)\s*\d{1,4})?[-–—\s]*",
    re.IGNORECASE,
)
# Lines looked at for running headers and footers at each end of a page.
_EDGE_LINES = 2
# A footnote is set smaller than the body text; a superscript marker smaller than its line.
_FOOTNOTE_SIZE = 0.85
_SUPERSCRIPT_SIZE = 0.75


@dataclass
class _Line:
    text: str
    size: float
    top: float
    box: int


@dataclass
class _Page:
    lines: list[_Line] = field(default_factory=list)
    images: bool = False


def _line(line: object, box: int) -> _Line | None:
    from pdfminer.layout import LTChar

    chars = [c for c in line if isinstance(c, LTChar)]  # type: ignore[attr-defined]
    if not chars:
        return None
    size = statistics.median(c.size for c in chars)
    # Footnote markers are small raised digits: drop them so they don't glue to words.
    text = "".join(
        piece.get_text()
        for piece in line  # type: ignore[attr-defined]
        if not (
            isinstance(piece, LTChar)
            and piece.get_text().isdigit()
            and piece.size < _SUPERSCRIPT_SIZE * size
        )
    )
    text = " ".join(text.split())
    return _Line(text, size, line.y1, box) if text else None  # type: ignore[attr-defined]


def _pages(data: bytes) -> list[_Page]:
    from pdfminer.converter import PDFPageAggregator
    from pdfminer.layout import LAParams, LTFigure, LTImage, LTTextBox, LTTextLine
    from pdfminer.pdfdocument import PDFDocument, PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser

    try:
        document = PDFDocument(PDFParser(io.BytesIO(data)), password="")
    except PDFPasswordIncorrect as exc:
        raise Unreadable(
            "encrypted PDF that needs a password: save a copy without the password "
            "(qpdf --decrypt) and add that"
        ) from exc
    except PDFEncryptionError as exc:
        raise Unreadable(f"encrypted PDF of a kind that cannot be opened ({exc})") from exc
    resources = PDFResourceManager()
    device = PDFPageAggregator(resources, laparams=LAParams())
    interpreter = PDFPageInterpreter(resources, device)
    pages = []
    for pdf_page in PDFPage.create_pages(document):
        interpreter.process_page(pdf_page)
        page = _Page()
        for box, element in enumerate(device.get_result()):
            if isinstance(element, LTTextBox):
                page.lines.extend(
                    line
                    for item in element
                    if isinstance(item, LTTextLine) and (line := _line(item, box))
                )
            elif isinstance(element, LTFigure | LTImage):
                page.images = True
        pages.append(page)
    return pages


def _edges(page: _Page) -> list[_Line]:
    by_height = sorted(page.lines, key=lambda line: -line.top)
    if len(by_height) <= 2 * _EDGE_LINES:
        return by_height
    return by_height[:_EDGE_LINES] + by_height[-_EDGE_LINES:]


def _shape(text: str) -> str:
    # Running headers differ from page to page only in their numbers.
    return re.sub(r"\d+", "#", text.lower())


def _furniture(pages: list[_Page]) -> set[int]:
    """ids of header, footer and page-number lines."""
    seen = Counter(shape for page in pages for shape in {_shape(ln.text) for ln in _edges(page)})
    repeated = {s for s, n in seen.items() if len(pages) >= 2 and n >= max(2, len(pages) / 2)}
    return {
        id(line)
        for page in pages
        for line in _edges(page)
        if _shape(line.text) in repeated or _PAGE_NUMBER.fullmatch(line.text)
    }


def _split(page: _Page, body_size: float, furniture: set[int]) -> tuple[list[str], list[str]]:
    """The page's paragraphs (lines of a text box joined) and its footnotes."""
    lines = [line for line in page.lines if id(line) not in furniture]
    body = [line for line in lines if line.size >= _FOOTNOTE_SIZE * body_size]
    lowest_body = min((line.top for line in body), default=float("inf"))
    notes = [line for line in lines if line not in body and line.top < lowest_body]
    paragraphs: list[list[str]] = []
    last_box = None
    for line in lines:
        if any(line is note for note in notes):
            continue
        if line.box != last_box:
            paragraphs.append([])
            last_box = line.box
        paragraphs[-1].append(line.text)
    return [join_lines(p) for p in paragraphs], [join_lines([n.text]) for n in notes]


class _Writer:
    """Paragraphs into text with page start offsets; a paragraph open at the end of a page
    takes in the next page's first one, and footnotes wait until it has ended."""

    def __init__(self) -> None:
        self.done: list[str] = []
        self.length = 0  # where the next finished paragraph starts
        self.open = ""
        self.notes: list[str] = []

    def finish(self) -> None:
        for paragraph in (self.open, *self.notes):
            if paragraph:
                self.done.append(paragraph)
                self.length += len(paragraph) + 1
        self.open, self.notes = "", []

    def page(self, paragraphs: list[str], notes: list[str]) -> int:
        """Adds a page; returns the offset where it starts."""
        start = None
        for paragraph in paragraphs:
            if self.open and continues(self.open, paragraph):
                joined = join_lines([self.open, paragraph])
                if start is None:
                    start = self.length + len(joined) - len(paragraph)
                self.open = joined
            else:
                self.finish()
                start = self.length if start is None else start
                self.open = paragraph
        self.notes += notes
        if not self.open or not continues(self.open, "x"):
            self.finish()
        return self.length if start is None else start


def read_pdf(data: bytes) -> Extracted:
    try:
        pages = _pages(data)
    except Unreadable:
        raise
    except Exception as exc:  # pdfminer raises many kinds on damaged files
        raise Unreadable(f"damaged PDF ({type(exc).__name__}: {exc})".rstrip()) from exc
    sizes: Counter[float] = Counter()
    for page in pages:
        for line in page.lines:
            sizes[round(line.size, 1)] += len(line.text)
    if not sizes:
        if any(page.images for page in pages):
            raise Unreadable("PDF without a text layer (scanned?): hoidap does not do OCR")
        raise Unreadable("PDF without any text")
    body_size = sizes.most_common(1)[0][0]
    furniture = _furniture(pages)
    writer = _Writer()
    starts = [writer.page(*_split(page, body_size, furniture)) for page in pages]
    writer.finish()
    text = "\n".join(writer.done)
    return Extracted(text=text, format="pdf", pages=tuple(min(s, len(text)) for s in starts))
