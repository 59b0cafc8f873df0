"""The command line under awkward input: bytes that are not lines or not UTF-8, arguments
checked before any work, output that must not drive the terminal, and a fast start."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HOIDAP = str(Path(sys.executable).with_name("hoidap"))
QUESTION = "Ai chủ trì cuộc họp về triển khai công tác phục vụ Đại hội XIV tại Bộ Ngoại giao?"


def hoidap(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([HOIDAP, *args], input=stdin, capture_output=True, cwd=ROOT, timeout=120)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "tin.txt").write_text(
        "Họp báo Chính phủ\n\n"
        "Chiều 3/6, Bộ trưởng Nguyễn Văn Nam chủ trì họp báo \x1b[31mChính phủ\x1b[0m "
        "thường kỳ.\x1b]0;pwned\x07 Giá xăng\r giảm\x07 mạnh.\n",
        encoding="utf-8",
    )
    return folder


def test_batch_writes_one_line_per_input_line_whatever_the_bytes(corpus: Path) -> None:
    lines = [
        "Ai chủ trì họp báo?".encode(),
        b"lone\rcarriage return",
        b"\xff\xfe not UTF-8",
        b"",
        "Giá xăng thế nào?".encode(),
    ]
    stdin = b"\xef\xbb\xbf" + lines[0] + b"\r\n" + b"\n".join(lines[1:])  # BOM, CRLF, no final \n
    for command in ("ask", "search"):
        result = hoidap(command, "--corpus", str(corpus), "--batch", "-", stdin=stdin)
        assert result.returncode == 0, result.stderr
        out = [json.loads(line) for line in result.stdout.decode().splitlines()]
        assert len(out) == len(lines)
        key = "question" if command == "ask" else "query"
        assert out[0][key] == "Ai chủ trì họp báo?" and "error" not in out[0]
        assert out[1][key] == "lone\rcarriage return"
        assert "not valid UTF-8" in out[2]["error"] and "line 3" in out[2]["error"]
        assert out[4][key] == "Giá xăng thế nào?"
        found = out[0]["sentences"] if command == "ask" else out[0]["hits"]
        assert "Nguyễn Văn Nam" in found[0]["text"]


def test_arguments_are_checked_before_the_index_is_built(corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    for args in (
        ["ask", "--index", str(index), "--corpus", str(corpus), "  "],
        ["ask", "--index", str(index), "--corpus", str(corpus), "--batch", str(tmp_path / "no")],
        ["search", "--index", str(index), "--corpus", str(corpus), "-k", "0", "xăng"],
    ):
        result = hoidap(*args)
        assert result.returncode == 2
        assert b"indexed" not in result.stderr
        assert not index.exists()
    missing = hoidap("ask", "--batch", str(tmp_path / "no"))
    assert f"cannot read the batch file {tmp_path / 'no'}".encode() in missing.stderr


def test_search_without_a_match_says_so_in_search_terms(corpus: Path) -> None:
    result = hoidap("search", "--corpus", str(corpus), "zzzxq")
    assert result.returncode == 0
    assert result.stdout.decode().strip() == "Không có đoạn văn nào khớp với từ khóa tìm kiếm."


def test_human_output_has_no_escape_codes_or_controls(corpus: Path) -> None:
    for args in (["search", "họp báo Chính phủ"], ["ask", "Ai chủ trì họp báo Chính phủ?"]):
        result = hoidap(*args, "--corpus", str(corpus))
        assert result.returncode == 0, result.stderr
        text = result.stdout.decode()
        assert "Nguyễn Văn Nam" in text
        assert not any(c in text for c in "\x1b\x07\r"), text
    as_json = hoidap("ask", "--json", "--corpus", str(corpus), "Ai chủ trì họp báo Chính phủ?")
    # JSON keeps the document's text exactly (escaped), so offsets still hold.
    assert "\\u001b" in as_json.stdout.decode()


def test_version_and_help() -> None:
    version = hoidap("--version")
    assert version.returncode == 0 and version.stdout.decode().startswith("hoidap 0.")
    top = hoidap("--help").stdout.decode()
    assert "examples:" in top and "hoidap ask" in top and "cache" in top
    ask = hoidap("ask", "--help").stdout.decode()
    assert "--batch FILE" in ask and "--corpus DIR" in ask and "example:" in ask


def test_ask_does_not_import_the_telegram_stack() -> None:
    code = (
        "import sys, contextlib, io\n"
        "from bot.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    main(['ask', {QUESTION!r}])\n"
        "heavy = ('telegram', 'pydantic', 'sklearn', 'sklearn_crfsuite', 'httpx')\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & set(heavy)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_help_imports_neither_numpy_nor_the_index() -> None:
    code = (
        "import sys\nfrom bot.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('numpy', 'retrieval.index', 'retrieval.engine') "
        "if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stderr


def test_os_errors_name_the_path_and_the_command(tmp_path: Path) -> None:
    unreadable = tmp_path / "batch"
    unreadable.mkdir()
    result = hoidap("ask", "--batch", str(unreadable))
    assert result.returncode == 2
    assert f"cannot read the batch file {unreadable}: Is a directory".encode() in result.stderr


def test_the_suite_keeps_out_of_the_users_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    from retrieval.index import cache_root

    assert cache_root().is_relative_to(tmp_path_factory.getbasetemp())
    assert os.environ["XDG_CACHE_HOME"].startswith(str(tmp_path_factory.getbasetemp()))
