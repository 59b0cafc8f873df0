"""Text shown in a terminal: document text may hold escape codes or control characters
(a page scraped with colour codes, a file made to move the cursor or retitle the window),
which must not reach the terminal as they are. JSON output escapes them itself."""

import re

# CSI (ESC [ … final byte), OSC (ESC ] … BEL or ESC \), other two-byte ESC sequences.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b.?")
# C0 and C1 controls but tab and newline; DEL; the bidirectional overrides and isolates,
# which can make shown text read differently from what it is.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """`text` without terminal escape sequences and control characters (a carriage return
    or other control becomes a space, so words stay apart)."""
    return _CONTROLS.sub(" ", _ESCAPES.sub("", text))
