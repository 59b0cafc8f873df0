"""Word files: .docx with python-docx, Word 97 .doc through antiword or LibreOffice.

A .docx body is read in document order, paragraphs and tables alike: the "Số: …" / date
block and the signature block of a government document are borderless tables, each cell
becomes its own paragraph. Page headers come first when they hold text. Fields are read
from the XML so that what a PAGE or NUMPAGES field shows never leaks into a sentence.
"""

import io
import os
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from retrieval.formats.model import Extracted, Unreadable

# A .docx is a zip: refuse archives that would inflate past these before opening them.
MAX_UNZIPPED = 256 * 1024 * 1024
MAX_RATIO = 200
_PAGE_FIELDS = ("PAGE", "NUMPAGES", "SECTIONPAGES")
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# Text boxes appear twice, as drawing and as the fallback for old readers: keep one.
_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
CONVERT_TIMEOUT = 120
# Elements that show text; a tab or a line break inside a paragraph reads as a space.
_TEXT = {f"{_W}t": "", f"{_W}tab": " ", f"{_W}br": " ", f"{_W}cr": " ", f"{_W}noBreakHyphen": "-"}


def _check_zip(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            names = {m.filename for m in members}
    except zipfile.BadZipFile as exc:
        raise Unreadable(f"damaged .docx (not a valid zip archive: {exc})") from exc
    if "word/document.xml" not in names:
        raise Unreadable("not a Word .docx file (no word/document.xml inside)")
    unzipped = sum(m.file_size for m in members)
    packed = sum(m.compress_size for m in members) or 1
    if unzipped > MAX_UNZIPPED or unzipped > MAX_RATIO * max(packed, 64 * 1024):
        raise Unreadable(
            f"refused: would unpack to {unzipped // 1_000_000} MB from "
            f"{len(data) // 1000} kB (a zip bomb?)"
        )


def _page_field(instruction: str) -> bool:
    return instruction.split()[:1] in ([name] for name in _PAGE_FIELDS)


def _run_text(node: Any, fields: list[list[Any]]) -> Iterator[str]:
    """The text under `node`, skipping what page-number fields display and deleted text.
    `fields` holds [instruction, showing result] of the complex fields open."""
    for child in node.iterchildren():
        tag = child.tag
        if tag == f"{_W}fldChar":
            kind = child.get(f"{_W}fldCharType")
            if kind == "begin":
                fields.append(["", False])
            elif kind == "separate" and fields:
                fields[-1][1] = True
            elif kind == "end" and fields:
                fields.pop()
        elif tag == f"{_W}instrText":
            if fields:
                fields[-1][0] += child.text or ""
        elif tag == f"{_W}fldSimple":
            if not _page_field(child.get(f"{_W}instr") or ""):
                yield from _run_text(child, fields)
        elif tag in (f"{_W}delText", _FALLBACK):
            continue
        elif tag in _TEXT:
            if not any(shown and _page_field(code) for code, shown in fields):
                yield child.text or "" if tag == f"{_W}t" else _TEXT[tag]
        else:
            yield from _run_text(child, fields)


def _paragraph(element: Any) -> str:
    return " ".join("".join(_run_text(element, [])).split())


def _blocks(parent: Any) -> Iterator[str]:
    """Paragraph texts of a body, header or table cell in document order."""
    for child in parent.iterchildren():
        if child.tag == f"{_W}p":
            yield _paragraph(child)
        elif child.tag == f"{_W}tbl":
            for row in child.iterchildren(f"{_W}tr"):
                for cell in row.iterchildren(f"{_W}tc"):
                    yield from _blocks(cell)
        elif child.tag == f"{_W}sdt":  # content controls wrap ordinary paragraphs
            for content in child.iterchildren(f"{_W}sdtContent"):
                yield from _blocks(content)


def read_docx(data: bytes) -> Extracted:
    _check_zip(data)
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx and lxml raise many kinds on damaged files
        raise Unreadable(f"damaged .docx ({type(exc).__name__}: {exc})") from exc
    headers: list[str] = []
    for section in document.sections:
        for part in (section.first_page_header, section.header):
            if not part.is_linked_to_previous or section is document.sections[0]:
                headers += [t for t in _blocks(part._element) if t and t not in headers]
    body = [t for t in _blocks(document.element.body) if t]
    title = (document.core_properties.title or "").strip()
    if title.lower().startswith("microsoft word"):
        title = ""
    return Extracted(text="\n".join(headers + body), format="docx", title=title or None)


def _tool() -> tuple[str, list[str]] | None:
    if shutil.which("antiword"):
        return "antiword", ["antiword", "-w", "0", "-m", "UTF-8.txt"]
    for office in ("soffice", "libreoffice"):
        if shutil.which(office):
            return office, [office, "--headless", "--cat"]
    return None


def read_doc(data: bytes) -> Extracted:
    if not data.startswith(b"\xd0\xcf\x11\xe0"):
        raise Unreadable("not a Word 97 .doc file (no OLE2 signature)")
    tool = _tool()
    if tool is None:
        raise Unreadable("Word 97 .doc needs antiword (apt-get install antiword) or LibreOffice")
    name, command = tool
    with tempfile.TemporaryDirectory(prefix="hoidap-doc-") as folder:
        path = Path(folder, "document.doc")
        path.write_bytes(data)
        try:
            done = subprocess.run(
                [*command, str(path)],
                capture_output=True,
                timeout=CONVERT_TIMEOUT,
                env={**os.environ, "HOME": folder},
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise Unreadable(f"{name} took over {CONVERT_TIMEOUT} s on it") from exc
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()[:1]
        raise Unreadable(f"{name} cannot read it ({reason[0] if reason else 'no reason'})")
    text = done.stdout.decode("utf-8", "replace")
    # antiword draws a table row as "|cell|cell|": each cell becomes a paragraph, as in a
    # .docx; it marks pictures "[pic]".
    lines = []
    for line in text.replace("[pic]", " ").splitlines():
        cells = line.strip().strip("|").split("|") if line.lstrip().startswith("|") else [line]
        lines += [" ".join(cell.split()) for cell in cells]
    return Extracted(text="\n".join(line for line in lines if line), format="doc")
