"""`hoidap eval --squad`: open-domain evaluation as a user runs it, and the plain baseline."""

import json
import os
import subprocess
import sys
from pathlib import Path

from retrieval.baseline import SentenceBaseline

CONTEXTS = [
    (
        "Bộ trưởng Y tế Nguyễn Văn An chủ trì hội nghị phòng chống sốt xuất huyết tại Hà Nội. "
        "Hội nghị diễn ra ngày 12/7 với đại diện của 20 tỉnh."
    ),
    (
        "Giá xăng RON 95 tăng 500 đồng mỗi lít từ chiều nay. "
        "Liên bộ Công Thương - Tài chính điều chỉnh giá xăng dầu mỗi tuần."
    ),
    (
        "Đội tuyển Việt Nam thắng Thái Lan 2-1 trong trận chung kết. "
        "Trận chung kết diễn ra trên sân Mỹ Đình trước 40.000 khán giả."
    ),
]
QUESTIONS = [
    ("Ai chủ trì hội nghị phòng chống sốt xuất huyết?", 0, "Nguyễn Văn An"),
    ("Giá xăng RON 95 tăng bao nhiêu mỗi lít?", 1, "500 đồng"),
    ("Trận chung kết diễn ra trên sân nào?", 2, "sân Mỹ Đình"),
]


def squad_file(path: Path) -> Path:
    paragraphs = [
        {
            "context": context,
            "qas": [
                {
                    "id": f"q{number}",
                    "question": question,
                    "answers": [{"text": answer, "answer_start": context.index(answer)}],
                }
                for number, (question, source, answer) in enumerate(QUESTIONS)
                if source == position
            ],
        }
        for position, context in enumerate(CONTEXTS)
    ]
    path.write_text(
        json.dumps({"data": [{"title": "tin", "paragraphs": paragraphs}]}, ensure_ascii=False),
        encoding="utf-8",
    )
    return path


def test_eval_squad_json_reports_every_metric_and_progress(tmp_path: Path) -> None:
    command = ["eval", "--squad", str(squad_file(tmp_path / "qa.json")), "--json"]
    result = subprocess.run(
        [sys.executable, "-m", "retrieval", *command],
        capture_output=True,
        text=True,
        env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout)
    assert metrics["questions"] == 3
    for name in ("recall@1", "recall@5", "recall@10", "mrr@10", "gold_document@1", "answered"):
        assert name in metrics
    # Each question shares its words with one context only, whose sentence holds the answer.
    assert metrics["hit@1"] == 100.0
    assert metrics["gold_document@1"] == 100.0
    assert metrics["latency_ms_p50"] > 0
    assert "evaluated 3/3 questions" in result.stderr


def test_baseline_does_not_match_punctuation(tmp_path: Path) -> None:
    sentences = [
        "Mưa to ở Hà Nội.",
        "Nắng, gió, sương, tuyết, mây?",
        "Giá vàng tăng.",
        "Đội tuyển thắng.",
        "Xăng giảm giá.",
        "Trường học khai giảng.",
    ]
    for number, sentence in enumerate(sentences):
        (tmp_path / f"{number}.txt").write_text(sentence, encoding="utf-8")
    # The question's commas and "?" are in the second file only; its one known word is in
    # the first.
    [best] = SentenceBaseline(tmp_path).search("Mưa, bão?", k=1)
    assert best.text == "Mưa to ở Hà Nội."
