"""Administrators add and remove documents through the bot (fake Bot API server with file
downloads; real files, real parsers, real index)."""

import asyncio
import itertools
import re
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from bot_fixtures import make_settings, running
from fake_telegram import TOKEN, FakeTelegram, _MethodHandler
from format_files import write_pdf
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application as TornadoApplication
from tornado.web import RequestHandler

from bot.app import make_service
from bot.uploads import safe_name
from retrieval import Engine

ADMIN, OTHER = 1001, 2002


class _FileHandler(RequestHandler):
    def initialize(self, fake: "FilesTelegram") -> None:
        self.fake = fake

    def get(self, token: str, path: str) -> None:
        if token != TOKEN or path not in self.fake.files:
            self.set_status(404)
            return
        self.finish(self.fake.files[path])


class FilesTelegram(FakeTelegram):
    """The fake server, plus getFile and file downloads as the Bot API serves them."""

    def __init__(self) -> None:
        super().__init__()
        self.files: dict[str, bytes] = {}
        self._file_ids = itertools.count(1)

    async def start(self) -> None:
        sockets = bind_sockets(self.port, "127.0.0.1")
        self.port = sockets[0].getsockname()[1]
        app = TornadoApplication(
            [
                (r"/bot([^/]+)/(\w+)", _MethodHandler, {"fake": self}),
                (r"/file/bot([^/]+)/(.+)", _FileHandler, {"fake": self}),
            ]
        )
        self._server = HTTPServer(app)
        self._server.add_sockets(sockets)

    def _api_getFile(self, params: dict[str, Any]) -> dict[str, Any]:
        path = f"documents/{params['file_id']}"
        return {
            "file_id": params["file_id"],
            "file_unique_id": f"u{params['file_id']}",
            "file_size": len(self.files[path]),
            "file_path": path,
        }

    def send_file(self, name: str, data: bytes, user_id: int = ADMIN, size: int | None = None):  # type: ignore[no-untyped-def]
        file_id = f"f{next(self._file_ids)}"
        self.files[f"documents/{file_id}"] = data
        document = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": name,
            "file_size": len(data) if size is None else size,
        }
        return self.message(user_id=user_id, extra={"document": document})


@pytest_asyncio.fixture
async def files_telegram():  # type: ignore[no-untyped-def]
    fake = FilesTelegram()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "tin.txt").write_text(
        "Bộ Y tế họp báo về phòng chống dịch sởi tại Hà Nội.\n", encoding="utf-8"
    )
    return folder


def _bot(telegram: FilesTelegram, corpus: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    index = tmp_path / "index"
    engine = Engine.open(corpus, index, notice=lambda _: None)
    settings = make_settings(
        telegram,
        corpus=corpus,
        index=index,
        admin_user_ids=frozenset({ADMIN}),
        state_dir=tmp_path / "state",
        telegram_base_file_url=f"http://127.0.0.1:{telegram.port}/file/bot",
    )
    return running(make_service(settings, engine))


def _visible(corpus: Path) -> list[str]:
    return sorted(p.name for p in corpus.iterdir() if not p.name.startswith("."))


async def _reply(telegram: FilesTelegram, count: int = 1) -> str:
    replies = await telegram.wait_for("sendMessage", count)
    return replies[-1]["text"]


def test_safe_names() -> None:
    assert safe_name("../../etc/passwd.pdf") == "passwd.pdf"
    assert safe_name("..\\..\\Báo cáo.PDF") == "Báo cáo.pdf"
    assert safe_name(".bashrc.txt") == "bashrc.txt"
    assert safe_name("a\x00b\nc.docx") == "a_b_c.docx"
    assert safe_name(None) == "tai-lieu"
    assert len(safe_name("x" * 500 + ".pdf")) == 120


async def test_admin_adds_a_pdf_and_it_is_answered_with_its_page(
    files_telegram: FilesTelegram, corpus: Path, tmp_path: Path
) -> None:
    pdf = write_pdf(tmp_path / "bao-cao.pdf").read_bytes()
    async with _bot(files_telegram, corpus, tmp_path) as service:
        files_telegram.send_file("../../bao-cao.pdf", pdf)
        reply = await _reply(files_telegram)
        assert "Đã thêm tài liệu" in reply and "3 trang" in reply and "Ví dụ" in reply
        assert (corpus / "bao-cao.pdf").read_bytes() == pdf
        # The same file again (a redelivered update) is found, not copied.
        files_telegram.send_file("bao-cao.pdf", pdf)
        assert "đã có sẵn" in await _reply(files_telegram, 2)
        # A different file of the same name is kept beside it.
        other = write_pdf(tmp_path / "khac.pdf", password=None).read_bytes()
        # Two PDFs written in the same second are byte-identical: another creation date of
        # the same length (the xref offsets stay right) makes this one different.
        changed = re.sub(rb"/CreationDate \(D:\d{14}", b"/CreationDate (D:20000101000000", other)
        assert changed != pdf
        files_telegram.send_file("bao-cao.pdf", changed)
        assert "Đã thêm" in await _reply(files_telegram, 3)
        assert _visible(corpus) == ["bao-cao (2).pdf", "bao-cao.pdf", "tin.txt"]
        assert (corpus / "bao-cao.pdf").read_bytes() == pdf
        files_telegram.message("Hội nghị thượng đỉnh ASEAN lần thứ 44 diễn ra ở đâu?")
        answer = await _reply(files_telegram, 4)
        assert "Viêng Chăn" in answer
        assert re.search(r"bao-cao[^<]*\.pdf, tr\. [0-9, ]*\b3\)", answer)
        assert service is not None


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("hong.pdf", b"%PDF-1.7\ngarbage\x00\xff", "không đọc được"),
        ("rong.docx", b"", "không đọc được"),
        ("virus.exe", b"MZ\x90\x00", "chưa được hỗ trợ"),
    ],
)
async def test_bad_files_get_a_clear_reply_and_nothing_is_saved(
    files_telegram: FilesTelegram, corpus: Path, tmp_path: Path, name: str, data: bytes, says: str
) -> None:
    async with _bot(files_telegram, corpus, tmp_path):
        files_telegram.send_file(name, data)
        assert says in await _reply(files_telegram)
    assert sorted(p.name for p in corpus.iterdir()) == ["tin.txt"]


async def test_encrypted_and_oversized_files_are_refused(
    files_telegram: FilesTelegram, corpus: Path, tmp_path: Path
) -> None:
    locked = write_pdf(tmp_path / "khoa.pdf", password="bi-mat").read_bytes()
    async with _bot(files_telegram, corpus, tmp_path):
        files_telegram.send_file("khoa.pdf", locked)
        assert "mật khẩu" in await _reply(files_telegram)
        files_telegram.send_file("lon.pdf", b"%PDF-1.7", size=21 * 1024 * 1024)
        assert "20 MB" in await _reply(files_telegram, 2)
    assert sorted(p.name for p in corpus.iterdir()) == ["tin.txt"]


async def test_others_are_refused_politely(
    files_telegram: FilesTelegram, corpus: Path, tmp_path: Path
) -> None:
    async with _bot(files_telegram, corpus, tmp_path):
        files_telegram.send_file("tin-moi.txt", "Tin mới.".encode(), user_id=OTHER)
        assert "chỉ quản trị viên" in await _reply(files_telegram)
        files_telegram.command("/xoa tin", user_id=OTHER)
        assert "chỉ quản trị viên" in await _reply(files_telegram, 2)
    assert _visible(corpus) == ["tin.txt"]


async def test_admin_removes_a_document_which_is_kept_aside(
    files_telegram: FilesTelegram, corpus: Path, tmp_path: Path
) -> None:
    (corpus / "hop.txt").write_text(
        "Bộ Ngoại giao họp báo thường kỳ chiều thứ Năm.\n", encoding="utf-8"
    )
    async with _bot(files_telegram, corpus, tmp_path) as service:
        files_telegram.command("/xoa", user_id=ADMIN)
        assert "Hãy viết tên tài liệu" in await _reply(files_telegram)
        files_telegram.command("/xoa hop", user_id=ADMIN)
        assert "Đã xoá tài liệu" in await _reply(files_telegram, 2)
        await asyncio.sleep(0)
        assert _visible(corpus) == ["tin.txt"]
        [kept] = (corpus / ".da-xoa").iterdir()
        assert kept.name.endswith("-hop.txt")
        files_telegram.command("/xoa hop", user_id=ADMIN)
        assert "Không tìm thấy" in await _reply(files_telegram, 3)
        assert service is not None
