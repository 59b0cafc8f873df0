"""The command line as a user runs it: a subprocess, its exit status, stdout and stderr."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CHAIR_QUESTION = "Ai chủ trì cuộc họp về triển khai công tác phục vụ Đại hội XIV tại Bộ Ngoại giao?"


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


def hoidap(
    cache: Path, *args: str, stdin: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    return subprocess.run(
        [sys.executable, "-m", "retrieval", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )


def test_ask_json_cites_the_chair_with_offsets_that_hold(cache: Path, tmp_path: Path) -> None:
    result = hoidap(cache, "ask", "--json", CHAIR_QUESTION, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["question"] == CHAIR_QUESTION
    assert answer["answered"] is True
    first = answer["sentences"][0]
    assert {"text", "doc_id", "title", "source", "start", "end", "score"} <= first.keys()
    assert "Lê Hoài Trung" in first["text"]
    source = Path(first["source"])
    assert source.is_absolute()
    assert source.read_bytes().decode("utf-8")[first["start"] : first["end"]] == first["text"]


def test_ask_prints_marked_sentences_then_sources(cache: Path) -> None:
    result = hoidap(cache, "ask", CHAIR_QUESTION)
    assert result.returncode == 0, result.stderr
    body, sources = result.stdout.split("Nguồn:")
    assert "[1]" in body and "Lê Hoài Trung" in body
    assert "[1] Bộ Ngoại giao họp triển khai công tác phục vụ Đại hội XIV của Đảng" in sources


def test_unanswerable_question_exits_zero_and_says_not_found(cache: Path) -> None:
    result = hoidap(cache, "ask", "Giá vàng SJC hôm nay bao nhiêu?")
    assert result.returncode == 0
    assert "Không tìm thấy" in result.stdout
    as_json = json.loads(hoidap(cache, "ask", "--json", "Giá vàng hôm nay?").stdout)
    assert as_json["answered"] is False and as_json["sentences"] == []


def test_search_lists_ranked_passages(cache: Path) -> None:
    result = hoidap(cache, "search", "-k", "3", "--json", "Kết luận số 57 thông tin đối ngoại")
    assert result.returncode == 0, result.stderr
    hits = json.loads(result.stdout)["hits"]
    assert [h["rank"] for h in hits] == [1, 2, 3]
    assert hits[0]["score"] >= hits[1]["score"] >= hits[2]["score"]
    assert hits[0]["doc_id"] in {"002_d238c6360f9011fb", "003_2b19d9d812bb10ee"}
    plain = hoidap(cache, "search", "Kết luận số 57").stdout
    assert plain.startswith("1. [")


def test_batch_answers_each_line_in_order(cache: Path) -> None:
    questions = [CHAIR_QUESTION, "Thời tiết ngày mai thế nào?", "", "Ai vô địch World Cup?"]
    result = hoidap(cache, "ask", "--batch", "-", stdin="\n".join(questions) + "\n")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["question"] for line in lines] == questions
    assert [line["answered"] for line in lines] == [True, False, False, False]

    search = hoidap(cache, "search", "--batch", "-", stdin="Đại hội XIV\nLiên hợp quốc\n")
    assert [json.loads(line)["query"] for line in search.stdout.splitlines()] == [
        "Đại hội XIV",
        "Liên hợp quốc",
    ]


@pytest.mark.parametrize(
    "args",
    [["ask", ""], ["ask", "   "], ["ask"], [], ["ask", "--batch", "-", "câu hỏi"], ["frobnicate"]],
)
def test_usage_errors_exit_2_with_one_line_and_no_traceback(cache: Path, args: list[str]) -> None:
    result = hoidap(cache, *args, stdin="")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("hoidap: error:")


def test_missing_corpus_folder_is_a_one_line_error(cache: Path, tmp_path: Path) -> None:
    result = hoidap(cache, "ask", "--corpus", str(tmp_path / "nowhere"), CHAIR_QUESTION)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"hoidap: error: corpus folder not found: {tmp_path / 'nowhere'}"
    ]


def test_empty_corpus_folder_is_a_one_line_error(cache: Path, tmp_path: Path) -> None:
    result = hoidap(cache, "index", "--corpus", str(tmp_path))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_index_that_cannot_be_written_is_a_one_line_error(cache: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = hoidap(cache, "index", "--index", str(blocker / "index"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("hoidap: error:")


def test_own_corpus_folder_is_indexed_and_answered(cache: Path, tmp_path: Path) -> None:
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "hop-bao.txt").write_text(
        "Họp báo Chính phủ thường kỳ tháng 5\n\n"
        "Chiều 3/6, Bộ trưởng Nguyễn Văn Nam chủ trì họp báo Chính phủ thường kỳ tháng 5.\n",
        encoding="utf-8",
    )
    (corpus / "anh.jpg.txt").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00")
    indexed = hoidap(cache, "index", "--corpus", str(corpus))
    assert indexed.returncode == 0
    assert "anh.jpg.txt" in indexed.stderr
    answer = json.loads(
        hoidap(cache, "ask", "--json", "--corpus", str(corpus), "Ai chủ trì họp báo?").stdout
    )
    assert answer["sentences"][0]["doc_id"] == "hop-bao"
    assert "Nguyễn Văn Nam" in answer["sentences"][0]["text"]
