"""Recognising the chrome of a scraped news page: menus, buttons, image names, widgets.

The rules are general shapes rather than a list of lines seen in the seeds, because every
news site words its chrome a little differently. They err on the side of keeping text:
a stray "Sign In" in the index is harmless, a lost caption or byline is not.
"""

import re

from retrieval.normalize import normalize

_FILE_NAME = re.compile(
    r"^\S+\.(?:jpe?g|png|gif|webp|bmp|svg|tiff?|heic|avif|ico"
    r"|mp3|mp4|m4a|wav|ogg|avi|mov|mkv|webm|flv"
    r"|pdf|docx?|xlsx?|pptx?|zip|rar|7z)$",
    re.IGNORECASE,
)
_URL = re.compile(r"^(?:https?://|www\.)\S+$", re.IGNORECASE)

# The longest Vietnamese syllable has 7 letters ("nghiêng"); a bare ASCII run of 12 or
# more is a CSS class or template token glued together ("leftcenterrightdel").
_LAYOUT_TOKEN = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
_LAYOUT_MIN_LETTERS = 12

_BULLETS = "•·▪►»›◦‣∙"
_SHORT_WORDS = 6
_MAX_CHROME_WORDS = 12

# English interface words, as they appear on buttons and menus of Vietnamese sites too.
_UI_ENGLISH_WORDS = frozenset(
    """
    skip menu share print click copy copied user users username password image images img
    comment comments subscribe unsubscribe search home homepage tweet follow email facebook
    twitter zalo youtube instagram linkedin tiktok cookie cookies advertisement ads loading
    login logout signin signup register download upload rss avatar thumbnail banner icon
    logo button submit reply toggle navigation sidebar footer bookmark copyright
    """.split()
)
_UI_ENGLISH_PHRASES = (
    ("sign", "in"),
    ("sign", "up"),
    ("sign", "out"),
    ("log", "in"),
    ("log", "out"),
    ("read", "more"),
    ("see", "more"),
    ("view", "more"),
    ("load", "more"),
    ("back", "to", "top"),
    ("main", "content"),
)

# Vietnamese interface phrases. Many are also ordinary words ("chia sẻ kinh nghiệm",
# "đánh giá tình hình"), so they only mark a line made of nothing else (see _is_chrome).
_UI_VIETNAMESE = (
    "đăng nhập",
    "đăng ký",
    "đăng xuất",
    "chia sẻ",
    "bình luận",
    "in bài",
    "bản in",
    "gửi bài",
    "lưu bài",
    "lưu",
    "sao chép",
    "liên kết",
    "đánh giá",
    "trang chủ",
    "xem",
    "xem thêm",
    "xem tiếp",
    "đọc tiếp",
    "đọc thêm",
    "tin liên quan",
    "bài liên quan",
    "tin mới",
    "tin mới nhất",
    "tin khác",
    "tin cùng chuyên mục",
    "tin nổi bật",
    "ý kiến",
    "gửi ý kiến",
    "gửi",
    "trả lời",
    "phản hồi",
    "thích",
    "theo dõi",
    "quảng cáo",
    "tìm kiếm",
    "tải về",
    "tải xuống",
    "về đầu trang",
    "lên đầu trang",
    "quay lại",
    "cỡ chữ",
    "nghe bài viết",
    "từ khóa",
    "bản quyền",
)

# Words that carry no content of their own around an interface phrase: "Hãy đánh giá
# bài viết", "Chia sẻ bài viết lên Facebook", "Click để copy", "Share on Zalo".
_FILLER = frozenset(
    """
    để hãy bài viết này hay của bạn đọc chúng tôi với lên qua trên vào ngay tại đây
    the to on of this for in out up via and or a an your our us with here page now
    article post link
    """.split()
)

_UI_PHRASES = frozenset(
    {(word,) for word in _UI_ENGLISH_WORDS}
    | set(_UI_ENGLISH_PHRASES)
    | {tuple(normalize(phrase).split()) for phrase in _UI_VIETNAMESE}
)
_LONGEST_PHRASE = max(len(phrase) for phrase in _UI_PHRASES)

_WORD = re.compile(r"\w+")


def _words(line: str) -> list[str]:
    return _WORD.findall(normalize(line).casefold())


def _ui_phrase_at(words: list[str], i: int) -> int:
    """Length of the longest interface phrase starting at words[i], 0 if none."""
    for length in range(min(_LONGEST_PHRASE, len(words) - i), 0, -1):
        if tuple(words[i : i + length]) in _UI_PHRASES:
            return length
    return 0


def _has_ui_phrase(words: list[str]) -> bool:
    return any(_ui_phrase_at(words, i) for i in range(len(words)))


def _is_chrome(words: list[str]) -> bool:
    """Interface phrases, filler words and counters ("Bình luận (3)") and nothing else."""
    found = False
    i = 0
    while i < len(words):
        length = _ui_phrase_at(words, i)
        if length:
            found = True
            i += length
        elif words[i] in _FILLER or words[i].isdigit():
            i += 1
        else:
            return False
    return found


def _is_layout_token(line: str) -> bool:
    return (
        _LAYOUT_TOKEN.match(line) is not None
        and sum(ch.isalpha() for ch in line) >= _LAYOUT_MIN_LETTERS
    )


def _only_ascii_letters(line: str) -> bool:
    return all(ch.isascii() for ch in line if ch.isalpha())


def is_boilerplate(line: str) -> bool:
    """True when a stripped line of a scraped page is page chrome rather than article text."""
    line = line.strip()
    if not any(ch.isalnum() for ch in line):
        return True
    if _FILE_NAME.match(line) or _URL.match(line) or _is_layout_token(line):
        return True
    words = _words(line)
    if len(words) <= _MAX_CHROME_WORDS and _is_chrome(words):
        return True
    if len(words) > _SHORT_WORDS:
        return False
    # Vietnamese prose always carries diacritics somewhere; a short all-ASCII line with
    # an interface word is an English menu or button ("Skip Ribbon Commands", "user image").
    if _only_ascii_letters(line) and _has_ui_phrase(words):
        return True
    # A bulleted short line with an English interface word is a widget ("• Click để copy").
    return line[0] in _BULLETS and any((word,) in _UI_PHRASES for word in words if word.isascii())


__all__ = ["is_boilerplate"]
