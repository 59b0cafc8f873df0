"""Forked workers never outlive a parent that was killed."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

# The parent hands a child work that would take a minute, then is killed with -9.
_PARENT = """
import sys, time
from pathlib import Path
from retrieval.index.forked import in_forked_child

def work(note):
    import os
    Path(note).write_text(str(os.getpid()))
    time.sleep(60)

in_forked_child(work, sys.argv[1])
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie waiting for init to reap it is gone for every purpose here.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux's")
def test_a_forked_child_dies_with_its_killed_parent(tmp_path):
    note = tmp_path / "child.pid"
    parent = subprocess.Popen(
        [sys.executable, "-c", _PARENT, str(note)],
        cwd=Path(__file__).resolve().parent.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not note.exists() or not note.read_text():
            assert time.monotonic() < deadline and parent.poll() is None, parent.stderr
            time.sleep(0.05)
        child = int(note.read_text())
        assert _alive(child)
        parent.kill()
        # Before the fix, the child kept the parent's pipes open: this read never ended.
        parent.communicate(timeout=30)
        deadline = time.monotonic() + 10
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(child)
    finally:
        parent.kill()
        if note.exists() and note.read_text() and _alive(int(note.read_text())):
            os.kill(int(note.read_text()), signal.SIGKILL)
