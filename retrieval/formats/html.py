"""Web pages saved from a browser, read with trafilatura: the main text without navigation,
menus and boilerplate, the title and date from the page's metadata, and its language."""

import re

from retrieval.formats.model import Extracted, Unreadable

# trafilatura leaves a page's language empty unless asked to detect one; the page says it.
_LANG = re.compile(rb"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3})", re.IGNORECASE)


def read_html(data: bytes) -> Extracted:
    import trafilatura

    try:
        found = trafilatura.bare_extraction(
            data,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            favor_precision=True,
        )
    except Exception as exc:  # lxml and trafilatura raise many kinds on broken pages
        raise Unreadable(f"damaged web page ({type(exc).__name__}: {exc})") from exc
    text = getattr(found, "text", None) if found is not None else None
    if not text or not text.strip():
        raise Unreadable("web page without any main text")
    lines = (" ".join(line.split()) for line in text.splitlines())
    return Extracted(
        text="\n".join(line for line in lines if line),
        format="html",
        title=(found.title or "").strip() or None,
        date=found.date or None,
        language=found.language or _declared_language(data),
    )


def _declared_language(data: bytes) -> str | None:
    match = _LANG.search(data[:8192])
    return match[1].decode("ascii").lower() if match else None
