"""What the live-index tests share: the seeds copied into a corpus folder with merges held
off (so each update stays a segment of its own), and the article they add."""

import shutil
from pathlib import Path

import pytest

from retrieval.index import merging

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
CAT = "Con mèo tên gì đã leo lên cây xoài trong sân nhà ông Tư?"
CAT_TEXT = (
    "Mèo Mướp\n\nSáng nay, con mèo tên {name} đã leo lên cây xoài trong sân nhà ông Tư. "
    "Lực lượng cứu hộ mất hai giờ để đưa nó xuống.\n"
)


def quiet(_: str) -> None:
    pass


def seeds_without_merges(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the seeds at `tmp_path / "corpus"`, with merges held off."""
    monkeypatch.setattr(merging, "RECENT_SHARE", 10.0)
    monkeypatch.setattr(merging, "DELETED_SHARE", 10.0)
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    return corpus
