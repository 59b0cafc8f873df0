"""RTF files, read with striprtf.

Characters outside ASCII are escapes in RTF: \\uN for Unicode, \\'xx for a byte of the
document's code page (Windows-1252 unless \\ansicpg says otherwise). Legacy TCVN3/VNI fonts
store their bytes as \\'xx too; they come out as Latin-1 letters and are converted later.
"""

import re

from retrieval.formats.model import Extracted, Unreadable

_CODE_PAGE = re.compile(rb"\\ansicpg(\d+)")


def read_rtf(data: bytes) -> Extracted:
    from striprtf.striprtf import rtf_to_text

    if not data.lstrip().startswith(b"{\\rtf"):
        raise Unreadable("not an RTF file (it does not start with {\\rtf)")
    found = _CODE_PAGE.search(data[:4096])
    encoding = f"cp{found[1].decode()}" if found else "cp1252"
    try:
        "".encode(encoding)
    except LookupError:
        encoding = "cp1252"
    try:
        text = rtf_to_text(data.decode("latin-1"), encoding=encoding, errors="replace")
    except Exception as exc:  # striprtf raises plain errors on broken groups
        raise Unreadable(f"damaged RTF ({type(exc).__name__}: {exc})") from exc
    lines = (" ".join(line.split()) for line in text.splitlines())
    return Extracted(text="\n".join(line for line in lines if line), format="rtf")
