"""Reading speed per format: pages/s (PDF) and MB/s of file, through `retrieval.formats`.

    .venv/bin/python -m bench.formats [--articles 60] [--rounds 5]

Files are written from ViNewsQA dev articles (read in place from ../shared/benchmarks) by
the test factories' libraries: fpdf2 (PDF, DejaVu font), python-docx, RTF and HTML by hand,
plain text and Markdown, and the same text in TCVN3 bytes. Each format's files are read
`rounds` times, formats interleaved round by round so that the machine's load (shared with
other work) falls on all of them alike; the median round is reported. With --pdf-libraries
the PDF is also read by pypdf and pdfplumber (installed separately) for the comparison in
the README.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from format_files import FONT

from retrieval.formats import extract
from retrieval.formats.legacy import to_tcvn3

# The dev set, read in place; --dev-set when the checkout is elsewhere.
DEV_SET = Path("/work/shared/benchmarks/vinewsqa-dev.json")


def articles(dev_set: Path, count: int) -> list[str]:
    data = json.loads(dev_set.read_text(encoding="utf-8"))
    texts: list[str] = []
    for article in data["data"]:
        for paragraph in article["paragraphs"]:
            if paragraph["context"] not in texts:
                texts.append(paragraph["context"])
    return texts[:count]


def write_all(folder: Path, texts: list[str], per_file: int) -> dict[str, list[Path]]:
    """Files of `per_file` articles each, in every format."""
    from docx import Document
    from fpdf import FPDF

    files: dict[str, list[Path]] = {k: [] for k in ("pdf", "docx", "rtf", "html", "txt", "md")}
    files["txt TCVN3"] = []
    for n in range(0, len(texts), per_file):
        chunk = texts[n : n + per_file]
        stem = folder / f"doc{n:04d}"
        pdf = FPDF()
        pdf.add_font("DejaVu", "", str(FONT))
        pdf.set_font("DejaVu", size=11)
        pdf.add_page()
        for text in chunk:
            pdf.multi_cell(0, 6, text)
            pdf.ln(3)
        pdf.output(str(stem.with_suffix(".pdf")))
        document = Document()
        for text in chunk:
            document.add_paragraph(text)
        document.save(str(stem.with_suffix(".docx")))
        rtf = "".join(c if ord(c) < 128 else f"\\u{ord(c)}?" for c in "\\par\n".join(chunk))
        stem.with_suffix(".rtf").write_text("{\\rtf1\\ansi " + rtf + "}", encoding="ascii")
        body = "".join(f"<p>{t}</p>" for t in chunk)
        stem.with_suffix(".html").write_text(
            f"<html lang='vi'><head><title>{chunk[0][:60]}</title></head><body>"
            f"<nav><a href='/'>Trang chủ</a></nav><article>{body}</article></body></html>",
            encoding="utf-8",
        )
        stem.with_suffix(".txt").write_text("\n\n".join(chunk), encoding="utf-8")
        stem.with_suffix(".md").write_text(
            "\n\n".join(f"## Bài {i}\n\n**{t}**" for i, t in enumerate(chunk)), encoding="utf-8"
        )
        legacy = folder / f"{stem.name}-tcvn3.txt"
        legacy.write_bytes(to_tcvn3("\n\n".join(chunk)).encode("latin-1", "replace"))
        for kind, suffix in (("pdf", ".pdf"), ("docx", ".docx"), ("rtf", ".rtf")):
            files[kind].append(stem.with_suffix(suffix))
        files["html"].append(stem.with_suffix(".html"))
        files["txt"].append(stem.with_suffix(".txt"))
        files["md"].append(stem.with_suffix(".md"))
        files["txt TCVN3"].append(legacy)
    return files


def _pypdf(path: Path) -> int:
    from pypdf import PdfReader

    return sum(len(page.extract_text() or "") for page in PdfReader(path).pages)


def _pdfplumber(path: Path) -> int:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return sum(len(page.extract_text() or "") for page in pdf.pages)


def _ours(path: Path) -> int:
    return len(extract(path).text)


def measure(
    readers: dict[str, tuple[Callable[[Path], int], list[Path]]], rounds: int
) -> dict[str, float]:
    """Median seconds per round of reading each reader's files, rounds interleaved."""
    times: dict[str, list[float]] = {name: [] for name in readers}
    for _ in range(rounds):
        for name, (read, paths) in readers.items():
            start = time.perf_counter()
            for path in paths:
                read(path)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev-set", type=Path, default=DEV_SET)
    parser.add_argument("--articles", type=int, default=60)
    parser.add_argument("--per-file", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pdf-libraries", action="store_true")
    args = parser.parse_args()
    from pypdf import PdfReader

    with tempfile.TemporaryDirectory() as folder:
        files = write_all(Path(folder), articles(args.dev_set, args.articles), args.per_file)
        pages = sum(len(PdfReader(p).pages) for p in files["pdf"])
        readers = {kind: (_ours, paths) for kind, paths in files.items()}
        if args.pdf_libraries:
            readers["pdf: pypdf"] = (_pypdf, files["pdf"])
            readers["pdf: pdfplumber"] = (_pdfplumber, files["pdf"])
        load = os.getloadavg()[0]
        seconds = measure(readers, args.rounds)
        print(
            f"{len(files['pdf'])} files a format ({args.per_file} articles each, "
            f"{pages} PDF pages); median of {args.rounds} interleaved rounds; "
            f"{os.cpu_count()} cores, load average {load:.1f} at start"
        )
        print("| reader | MB/s of file | pages/s | files/s |")
        print("|---|---:|---:|---:|")
        for name, (_, paths) in readers.items():
            size = sum(p.stat().st_size for p in paths) / 1e6
            spent = seconds[name]
            per_page = f"{pages / spent:.0f}" if name.startswith("pdf") else "–"
            print(f"| {name} | {size / spent:.2f} | {per_page} | {len(paths) / spent:.1f} |")


if __name__ == "__main__":
    main()
