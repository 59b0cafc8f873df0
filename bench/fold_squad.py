"""Write a copy of a SQuAD-format file whose questions are typed without diacritics
(contexts and answers unchanged), to measure `hoidap eval` on phone-style questions.

    .venv/bin/python bench/fold_squad.py ../shared/benchmarks/vinewsqa-dev.json /tmp/folded.json
"""

import json
import sys
from pathlib import Path

from retrieval.normalize import fold


def main() -> None:
    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    data = json.loads(source.read_text(encoding="utf-8"))
    for article in data["data"]:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                qa["question"] = fold(qa["question"])
    target.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
