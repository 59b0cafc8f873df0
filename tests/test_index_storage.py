"""The index folder under bad conditions: someone else's files, damage, a read-only place, a
full disk, Ctrl-C. Real files, real processes; the read-only place is a read-only bind mount
in a private mount namespace where the machine allows one."""

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from small_corpus import FILES, Notices, write_corpus

from retrieval.documents import corpus_files
from retrieval.index import (
    IndexLocationError,
    IndexUnreadable,
    load_index,
    open_index,
    save_index,
    update_index,
)
from retrieval.index.folder import MARKER

# Two short articles: enough for an index, small enough to damage file by file.
TWO_FILES = {name: FILES[name] for name in ("xang.txt", "mua.txt")}

ROOT = Path(__file__).resolve().parent.parent
# The console script, as users run it.
HOIDAP = str(Path(sys.executable).with_name("hoidap"))


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return write_corpus(tmp_path, TWO_FILES)


def hoidap(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HOIDAP, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=ROOT,
        timeout=120,
    )


def generation(path: Path) -> Path:
    """The generation folder of the first segment of the live index at `path`."""
    manifest = json.loads((path / (path / "LIVE").read_text()).read_text())
    segment = path / manifest["segments"][0][0]
    return segment / (segment / "CURRENT").read_text().split()[0]


def cited_texts_hold(index_path: Path) -> None:
    """Every stored sentence is the text at its offsets in its source file."""
    index = load_index(index_path, verify=True)
    for i in range(index.n_sentences):
        document = index.documents[int(index.sentence_doc[i])]
        source = document.path.read_text(encoding="utf-8")
        assert source[index.sentence_start[i] : index.sentence_end[i]] == index.sentence_text(i)


# --- 1. the marker: nothing deleted that hoidap did not create ---


def test_index_folder_is_marked_and_foreign_folders_are_refused(
    corpus: Path, tmp_path: Path
) -> None:
    path = tmp_path / "index"
    open_index(corpus, path, notice=Notices())
    assert (path / MARKER).is_file()

    theirs = tmp_path / "theirs"
    (theirs / "gen-photos").mkdir(parents=True)
    (theirs / "gen-photos" / "cat.jpg").write_bytes(b"\xff\xd8 a cat")
    with pytest.raises(IndexLocationError, match="not empty and holds no hoidap index"):
        open_index(corpus, theirs, notice=Notices())
    assert (theirs / "gen-photos" / "cat.jpg").read_bytes() == b"\xff\xd8 a cat"


def test_cli_refuses_foreign_folder_with_one_line(corpus: Path, tmp_path: Path) -> None:
    theirs = tmp_path / "theirs"
    (theirs / "gen-1").mkdir(parents=True)
    (theirs / "gen-1" / "notes.txt").write_text("mine", encoding="utf-8")
    result = hoidap("index", "--corpus", str(corpus), "--index", str(theirs))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and str(theirs) in result.stderr
    assert "Traceback" not in result.stderr
    assert (theirs / "gen-1" / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_save_deletes_only_what_hoidap_named(corpus: Path, tmp_path: Path) -> None:
    path = tmp_path / "index"
    open_index(corpus, path, notice=Notices())
    # Someone's files inside a marked folder, named unlike hoidap's own.
    (path / "gen-notes").mkdir()
    (path / "gen-notes" / "keep.txt").write_text("keep", encoding="utf-8")
    (corpus / "mua.txt").unlink()
    open_index(corpus, path, notice=Notices())
    assert (path / "gen-notes" / "keep.txt").read_text(encoding="utf-8") == "keep"
    generations = [p.name for p in path.iterdir() if p.name.startswith("gen-")]
    assert generations == ["gen-notes"]


def test_index_folder_of_an_older_hoidap_is_adopted(corpus: Path, tmp_path: Path) -> None:
    path = tmp_path / "index"
    # The one-generation layout of an older hoidap, before the marker and its checksums.
    save_index(update_index(corpus, corpus_files(corpus), "old", workers=1), path)
    (path / MARKER).unlink()
    old = path / (path / "CURRENT").read_text().split()[0]
    (path / "CURRENT").write_text(old.name, encoding="ascii")  # the old form
    notices = Notices()
    open_index(corpus, path, notice=notices)
    assert len(notices.problems()) == 1 and "rebuilding" in notices.problems()[0]
    assert (path / MARKER).is_file()


# --- 5. damage: found at load, one notice, rebuilt, never cited ---


def _garble_middle(file: Path) -> None:
    data = bytearray(file.read_bytes())
    lo = len(data) // 2
    hi = min(len(data), lo + 16)
    data[lo:hi] = bytes((b + 1) % 256 for b in data[lo:hi])
    file.write_bytes(bytes(data))


def test_same_size_garbage_in_any_file_is_found_and_rebuilt(corpus: Path, tmp_path: Path) -> None:
    path = tmp_path / "index"
    sentences = open_index(corpus, path, notice=Notices()).n_sentences
    names = sorted(p.name for p in generation(path).iterdir())
    assert len(names) > 10 and "index.json" in names
    for name in names:
        file = generation(path) / name
        size = file.stat().st_size
        _garble_middle(file)
        assert file.stat().st_size == size
        notices = Notices()
        index = open_index(corpus, path, notice=notices)
        assert len(notices.problems()) == 1, (file.name, notices)
        assert notices.problems()[0].startswith(f"index at {path} is unreadable (")
        assert index.n_sentences == sentences
        cited_texts_hold(path)
    (path / "LIVE").write_text("manifest-zzz", encoding="ascii")
    notices = Notices()
    open_index(corpus, path, notice=notices)
    assert len(notices.problems()) == 1
    cited_texts_hold(path)


def test_large_files_are_checked_as_citations_read_them(
    corpus: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from bot.cli import main
    from retrieval.engine import Engine

    path = tmp_path / "index"
    open_index(corpus, path, notice=Notices())
    blob = generation(path) / "sentence_text_blob.npy"
    _garble_middle(blob)
    # As if every file were over the load budget: sizes are checked at load, the cited
    # arrays' blocks when read.
    monkeypatch.setattr("retrieval.index.storage.LOAD_BUDGET", 0)
    index = load_index(path)
    assert type(index.sentence_text_blob).__name__ == "CheckedArray"
    assert type(index.bm25.post_docs).__name__ == "ndarray"  # ranking arrays stay plain
    with pytest.raises(IndexUnreadable, match=r"sentence_text_blob\.npy is damaged"):
        Engine(index).ask("Nhiệt độ cao nhất là bao nhiêu?")
    with pytest.raises(IndexUnreadable, match=r"sentence_text_blob\.npy is damaged"):
        load_index(path, verify=True)

    args = ["--corpus", str(corpus), "--index", str(path)]
    assert main(["ask", *args, "Nhiệt độ cao nhất là bao nhiêu?"]) == 1
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and "hoidap index" in error[0] and "Traceback" not in error[0]
    assert main(["index", *args]) == 0
    assert "is unreadable" in capsys.readouterr().err
    assert main(["ask", *args, "Nhiệt độ cao nhất là bao nhiêu?"]) == 0
    assert "32 độ C" in capsys.readouterr().out
    blob = generation(path) / "sentence_text_blob.npy"
    blob.write_bytes(blob.read_bytes()[:-1])
    with pytest.raises(IndexUnreadable, match=r"sentence_text_blob\.npy has"):
        load_index(path)


# --- 6. read-only place, full disk ---


def _can_mount() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"], capture_output=True
    )
    return probe.returncode == 0


needs_mount = pytest.mark.skipif(
    not _can_mount(), reason="needs a private mount namespace (root with CAP_SYS_ADMIN)"
)


def _mounted(setup: str, path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`hoidap ARGS` after the shell command `setup` (given $0 = `path`) in a mount namespace
    of its own: the mounts vanish with the process."""
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", f'{setup} && exec "$@"', str(path), HOIDAP, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


READ_ONLY = 'mount --bind -o ro "$0" "$0"'


def _add_document(corpus: Path) -> None:
    (corpus / "moi.txt").write_text("Tin mới\n\nHội sách mở cửa tại phố Đinh Lễ.\n", "utf-8")


@needs_mount
def test_read_only_index_keeps_answering_from_the_old_index(corpus: Path, tmp_path: Path) -> None:
    path = tmp_path / "index"
    open_index(corpus, path, notice=Notices())
    current = (path / "LIVE").read_text()
    _add_document(corpus)
    args = ("--corpus", str(corpus), "--index", str(path))
    asked = _mounted(READ_ONLY, path, "ask", "--json", *args, "Nhiệt độ cao nhất là bao nhiêu?")
    assert asked.returncode == 0, asked.stderr
    assert '"answered": true' in asked.stdout
    lines = asked.stderr.splitlines()
    assert len(lines) == 1 and "indexing" not in asked.stderr, asked.stderr
    assert str(path) in lines[0] and "read-only" in lines[0] and "--index" in lines[0]
    assert "answering from the old index" in lines[0]
    indexed = _mounted(READ_ONLY, path, "index", *args)
    assert indexed.returncode == 1
    assert indexed.stderr.count("\n") == 1 and "read-only" in indexed.stderr
    assert (path / "LIVE").read_text() == current


@needs_mount
def test_too_little_space_for_an_update_keeps_the_old_index(corpus: Path, tmp_path: Path) -> None:
    path = tmp_path / "index"
    open_index(corpus, path, notice=Notices())
    _add_document(corpus)
    small = tmp_path / "small"
    small.mkdir()
    # Room for the old index and 8 KiB: too little for the new document's segment.
    used = sum(4096 * -(-f.stat().st_size // 4096) for f in path.rglob("*")) + 16384
    setup = f'mount -t tmpfs -o size={used + 8192} tmpfs "$0" && cp -a {path} "$0/index"'
    args = ("--corpus", str(corpus), "--index", str(small / "index"))
    asked = _mounted(setup, small, "ask", *args, "Nhiệt độ cao nhất là bao nhiêu?")
    assert asked.returncode == 0, asked.stderr
    assert "32 độ C" in asked.stdout
    lines = asked.stderr.splitlines()
    assert len(lines) == 1 and "No space left" in lines[0], lines
    assert "answering from the old index" in lines[0]


@needs_mount
def test_full_disk_during_save_answers_from_memory(corpus: Path, tmp_path: Path) -> None:
    small = tmp_path / "small"
    small.mkdir()
    setup = 'mount -t tmpfs -o size=16k tmpfs "$0"'
    args = ("--corpus", str(corpus), "--index", str(small / "index"))
    asked = _mounted(setup, small, "ask", *args, "Nhiệt độ cao nhất là bao nhiêu?")
    assert asked.returncode == 0, asked.stderr
    assert "32 độ C" in asked.stdout
    problems = [line for line in asked.stderr.splitlines() if "indexed" not in line]
    assert "Traceback" not in asked.stderr
    assert len(problems) == 1, asked.stderr
    assert f"cannot save the index in {small / 'index'}" in problems[0]
    assert "No space left on device" in problems[0]
    assert "answering from the index built in memory" in problems[0]
    indexed = _mounted(setup, small, "index", *args)
    assert indexed.returncode == 1
    errors = [line for line in indexed.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and "cannot save the index in" in errors[0]


# --- 8. Ctrl-C while indexing ---


def test_ctrl_c_while_indexing_exits_130_with_one_line_and_keeps_the_index(
    corpus: Path, tmp_path: Path
) -> None:
    path = tmp_path / "index"
    open_index(corpus, path, notice=Notices())
    # Enough distinct sentences that segmenting them takes seconds, in a worker pool.
    words = "an bình cao dân em gia hà kim lan minh nam phú quang sơn tâm vân".split()
    for attempt in range(3):
        current = (path / "LIVE").read_text()
        documents = len(load_index(path).documents)
        for n in range(400):
            lines = [
                f"Ông {words[n % 16]} {words[(n // 16) % 16]} nói câu {n} số {i} lần {attempt} "
                f"về {words[i % 16]} {words[(i * 7 + n) % 16]} và {words[(i + n) % 16]}."
                for i in range(40)
            ]
            name = f"tin-{attempt}-{n:03d}.txt"
            (corpus / name).write_text("\n".join(lines), encoding="utf-8")
        process = subprocess.Popen(
            [HOIDAP, "index", "--corpus", str(corpus), "--index", str(path)],
            stderr=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            start_new_session=True,
        )
        assert process.stderr is not None and process.stdout is not None
        for line in process.stderr:
            if "segmented" in line:
                break
        # Ctrl-C in a terminal signals the whole process group, workers included.
        os.killpg(process.pid, signal.SIGINT)
        rest = process.stderr.read()
        finished = process.stdout.read()
        status = process.wait(timeout=60)
        if status == 0 and "indexed" in finished:
            # On a loaded machine this process may read the progress line only after the
            # indexer is done: nothing was interrupted, so try again with more files.
            continue
        assert status == 130
        assert "Traceback" not in rest and "KeyboardInterrupt" not in rest
        assert rest.strip().splitlines() == ["hoidap: interrupted; the index was left as it was"]
        assert (path / "LIVE").read_text() == current
        assert len(load_index(path, verify=True).documents) == documents
        return
    pytest.fail("the indexer finished before Ctrl-C reached it, three times")
