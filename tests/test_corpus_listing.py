"""Corpus folders holding more than regular files: links that dangle or loop, a FIFO (which
must not hang anything), linked folders (followed, each once). Every `hoidap index` names
each file left out, once."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from retrieval.documents import corpus_listing

ROOT = Path(__file__).resolve().parent.parent
HOIDAP = str(Path(sys.executable).with_name("hoidap"))
TEXT = "Tin {n}\n\nBộ trưởng Nguyễn Văn {n} chủ trì họp báo về giá xăng dầu tháng {n}.\n"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text(TEXT.format(n="An"), encoding="utf-8")
    (folder / "sub" / "b.txt").write_text(TEXT.format(n="Bình"), encoding="utf-8")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "c.txt").write_text(TEXT.format(n="Cường"), encoding="utf-8")
    (folder / "linked").symlink_to(outside, target_is_directory=True)
    (folder / "dangling.txt").symlink_to(tmp_path / "nowhere.txt")
    (folder / "loop.txt").symlink_to(folder / "loop.txt")
    (folder / "sub" / "up").symlink_to(folder, target_is_directory=True)
    os.mkfifo(folder / "p.txt")
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02 binary")
    return folder


def test_listing_keeps_regular_files_and_says_why_others_are_left_out(corpus: Path) -> None:
    files, skipped = corpus_listing(corpus)
    names = [path.relative_to(corpus).as_posix() for path in files]
    assert names == ["a.txt", "binary.txt", "linked/c.txt", "sub/b.txt"]
    reasons = {path.relative_to(corpus).as_posix(): reason for path, reason in skipped}
    assert reasons == {
        "dangling.txt": "broken symbolic link",
        "loop.txt": "symbolic link loop",
        "p.txt": "a named pipe (FIFO)",
        "sub/up": "a link to a folder already listed",
    }


def _index(corpus: Path, index: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HOIDAP, "index", "--corpus", str(corpus), "--index", str(index)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,  # a FIFO opened for reading would wait forever
    )


def test_index_reports_each_skipped_file_every_time(corpus: Path, tmp_path: Path) -> None:
    for run in range(2):
        result = _index(corpus, tmp_path / "index")
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("3 documents"), result.stdout
        warnings = [line for line in result.stderr.splitlines() if "skipping" in line]
        for name in ("dangling.txt", "loop.txt", "p.txt", "up", "binary.txt"):
            assert len([w for w in warnings if f"/{name}:" in w]) == 1, (run, name, warnings)
        assert len(warnings) == 5
    question = "Nguyễn Văn Cường chủ trì họp báo về gì?"
    asked = subprocess.run(
        [
            HOIDAP,
            "ask",
            "--json",
            "--corpus",
            str(corpus),
            "--index",
            str(tmp_path / "index"),
            question,
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert asked.returncode == 0, asked.stderr
    assert "linked/c" in asked.stdout
