"""The default corpus is the five seed articles, byte for byte, and it is what Engine uses."""

import hashlib
from pathlib import Path

from retrieval import DEFAULT_CORPUS

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
SHA256 = {
    "000_a161d4bec09452eb.txt": "ed5042b151294e0f43ecfecae4284f6ccfd0039a3ae3fb62129b34bbb3a6964f",
    "001_ac64ed07865f379f.txt": "d09f0c05de00cf5bd8c51c32f1af3a8491d6ca317fd508677e8251111336b0a2",
    "002_d238c6360f9011fb.txt": "9aabda2145986cb3b889626eaae0255014ec21b73665f8b352a7c83641d491fc",
    "003_2b19d9d812bb10ee.txt": "3c180933e92c262870a004f8fe733f9024fd689bab0597232738bcb0147e5b4d",
    "004_4c33edc76b0aa510.txt": "3688cfba056f67ae6e4d18b29f1cd2c5a9589c675cb6a5ef51b51746bfb33472",
}


def test_seeds_are_the_five_original_files_unchanged() -> None:
    found = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in SEEDS.iterdir()}
    assert found == SHA256


def test_engine_defaults_to_the_seeds() -> None:
    assert sorted(p.name for p in DEFAULT_CORPUS.iterdir()) == sorted(SHA256)
