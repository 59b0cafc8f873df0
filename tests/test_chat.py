"""`hoidap chat` in a terminal: line editing and history through readline (driven through
a real pseudo-terminal), its commands, and the context line under its own citation."""

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

from bot.formatting import answer_lines, to_text
from retrieval.documents import Document
from retrieval.results import Answer, Citation

ROOT = Path(__file__).resolve().parent.parent
HOIDAP = str(Path(sys.executable).with_name("hoidap"))
QUESTION = "Ai chủ trì cuộc họp về triển khai công tác phục vụ Đại hội XIV tại Bộ Ngoại giao?"


def test_context_line_sits_under_its_own_citation() -> None:
    document = Document("tin", "Tin", None, Path("/tmp/tin.txt"))
    first = Citation(0, "Câu một.", document, 0, 8, 1.0)
    second = Citation(2, "Hội nghị kết thúc chiều nay.", document, 20, 48, 0.9, "Hội nghị X họp.")
    text = to_text(answer_lines(Answer("?", True, [first, second])))
    lines = text.splitlines()
    assert lines[:3] == [
        "Câu một. [1]",
        "Hội nghị kết thúc chiều nay. [2]",
        "(Ngữ cảnh của [2]: Hội nghị X họp.)",
    ]


def test_commands_answer_properly() -> None:
    typed = f"/doan 1\n{QUESTION}\n/doan 9\n/doan x\n/foo bar\n/doan 1\n/thoat\n"
    result = subprocess.run(
        [HOIDAP, "chat"], input=typed, capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    _, _, after = out.partition("Hãy hỏi trước")  # /doan before any question
    assert after
    assert after.count("Câu trả lời vừa rồi có ") == 2  # /doan 9 and /doan x
    assert "Không có lệnh /foo. Gõ /help để xem các lệnh." in after
    assert "Câu hỏi: /foo" not in out  # not taken as a question
    assert "Lê Hoài Trung" in after.partition("Không có lệnh /foo")[2]  # /doan 1 afterwards


class _Terminal:
    """What a program writes to a pseudo-terminal, read up to what is awaited."""

    def __init__(self, fd: int) -> None:
        self.fd, self.seen, self.position = fd, b"", 0

    def wait(self, wanted: str, timeout: float = 60) -> bytes:
        """Everything after the previous wait, up to and including `wanted`."""
        target = wanted.encode()
        deadline = time.monotonic() + timeout
        while target not in self.seen[self.position :]:
            left = deadline - time.monotonic()
            assert left > 0, self.seen[-500:]
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                chunk = os.read(self.fd, 4096)
                assert chunk, self.seen[-500:]
                self.seen += chunk
        end = self.seen.index(target, self.position) + len(target)
        part, self.position = self.seen[self.position : end], end
        return part


def test_arrow_keys_edit_the_line_and_recall_earlier_questions() -> None:
    pid, fd = pty.fork()
    if pid == 0:  # the child: hoidap chat on the pseudo-terminal
        os.chdir(ROOT)
        os.execv(HOIDAP, [HOIDAP, "chat"])
    terminal = _Terminal(fd)
    try:
        terminal.wait("Bạn hỏi: ")
        # "/fo" + left arrow + "x" gives "/fxo" if the line is edited, not "/fo\x1b[Dx".
        os.write(fd, b"/fo\x1b[Dx\r")
        assert "Không có lệnh /fxo.".encode() in terminal.wait("Bạn hỏi: ")
        os.write(fd, b"\x1b[A\r")  # up arrow: the same line again
        assert "Không có lệnh /fxo.".encode() in terminal.wait("Bạn hỏi: ")
        os.write(fd, b"/thoat\r")
        terminal.wait("/thoat")
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0
