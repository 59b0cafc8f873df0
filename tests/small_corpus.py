"""Small corpora the index tests build for real: four short article files, and DOCS, articles
given sentence by sentence (parsed as the readers would); and the notices a build gives
(progress apart from problems)."""

from pathlib import Path

from retrieval.documents import Document, ParsedDocument, Sentence
from retrieval.index import Index

FILES = {
    "xang.txt": "Giá xăng giảm mạnh\n\nXăng RON 95 giảm 800 đồng mỗi lít. "
    "Dầu diesel giảm 500 đồng mỗi lít. Giá mới áp dụng từ 15 giờ chiều nay.\n",
    "mua.txt": "Thời tiết Hà Nội\n\nHà Nội có mưa rào và dông vào chiều tối. "
    "Nhiệt độ cao nhất từ 30 đến 32 độ C.\n",
    "sach.txt": "Hội sách mùa thu\n\nHội sách mở cửa tại phố sách Đinh Lễ. "
    "Nhiều nhà xuất bản giảm giá sách thiếu nhi.\n",
    "tau.txt": "Đường sắt tăng chuyến\n\nNgành đường sắt tăng thêm chuyến tàu dịp lễ. "
    "Vé tàu được bán trực tuyến.\n",
}


def write_corpus(tmp_path: Path, files: dict[str, str] = FILES) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


class Notices(list[str]):
    def __call__(self, message: str) -> None:
        self.append(message)

    def problems(self) -> list[str]:
        """Everything but build progress."""
        return [m for m in self if not m.startswith(("indexing: ", "indexed "))]


HEADLINE = "Giá xăng giảm mạnh từ chiều nay."
DOCS = {
    "xang": [
        HEADLINE,
        "Liên Bộ Công Thương - Tài chính điều chỉnh giá bán lẻ xăng dầu.",
        "Xăng RON 95 giảm 800 đồng mỗi lít.",
        "Dầu diesel giảm 500 đồng mỗi lít.",
        "Giá mới áp dụng từ 15 giờ.",
        "Quỹ bình ổn giá không được trích lập.",
        HEADLINE,
    ],
    "bong-da": [
        "Đội tuyển Việt Nam thắng Thái Lan 2-1 tại sân Mỹ Đình.",
        HEADLINE,
    ],
    "rong": [],
    "mua": [
        "Hà Nội có mưa rào và dông vào chiều tối.",
        "Nhiệt độ cao nhất từ 30 đến 32 độ C.",
        "Gió đông nam cấp 2 đến cấp 3.",
    ],
}


def parsed_documents(folder: Path, docs: dict[str, list[str]] = DOCS) -> list[ParsedDocument]:
    parsed = []
    for name, sentences in docs.items():
        path = folder / f"{name}.txt"
        text = "\n".join(sentences)
        path.write_text(text, encoding="utf-8")
        spans, offset = [], 0
        for sentence in sentences:
            spans.append(Sentence(offset, offset + len(sentence), sentence))
            offset += len(sentence) + 1
        title = sentences[0] if sentences else name
        parsed.append(ParsedDocument(Document(name, title, "2025-01-02", path), spans))
    return parsed


def other_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "other"
    folder.mkdir()
    return folder


def all_sentences(index: Index) -> list[str]:
    return [index.sentence_text(i) for i in range(index.n_sentences)]
