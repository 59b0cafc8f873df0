"""A corpus of four short articles that the index tests build for real, and the notices a
build gives (progress apart from problems)."""

from pathlib import Path

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
