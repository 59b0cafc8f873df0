"""Vietnamese text typed in the pre-Unicode font encodings TCVN3 (".VnTime", "ABC") and VNI,
found as mojibake ("Bé Ngo¹i giao", "COÄNG HOØA") in text files, PDF text layers, Word and
RTF files alike, converted to Unicode NFC.

Both encodings reuse Latin-1 code points, and real Unicode Vietnamese uses some of the same
(à, á, â, é, ô…), so a font name or a byte range proves nothing. A paragraph is converted only
when it holds none of the letters that only Unicode Vietnamese has (ă, đ, ơ, ư, ạ…) and the
conversion turns clearly more of its words into Vietnamese syllables than it had before; a
wrong guess would otherwise damage proper text.

Tables: TCVN 5712:1993 "VN3" (the encoding of the .VnTime fonts; upper-case toned letters
have no codes of their own and are typed with the same codes in the .VnTimeH fonts) and
VNI-Windows (a base letter followed by a mark character).
"""

import functools
import re
import unicodedata

# TCVN3 code (as the Latin-1 character it shows as) -> Unicode letter.
_TCVN3_CODES = (
    "µà ¸á ¶ả ·ã ¹ạ ¨ă »ằ ¾ắ ¼ẳ ½ẵ Æặ ©â Çầ Êấ Èẩ Éẫ Ëậ ®đ Ìè Ðé Îẻ Ïẽ Ñẹ ªê Òề Õế Óể Ôễ Öệ "
    "×ì Ýí Øỉ Üĩ Þị ßò ãó áỏ âõ äọ «ô åồ èố æổ çỗ éộ ¬ơ êờ íớ ëở ìỡ îợ ïù óú ñủ òũ ôụ "
    "\xadư õừ øứ öử ÷ữ ùự úỳ ýý ûỷ üỹ þỵ ¡Ă ¢Â §Đ £Ê ¤Ô ¥Ơ ¦Ư"
)
TCVN3 = {pair[0]: pair[1] for pair in _TCVN3_CODES.split(" ")}
_TCVN3_TRANSLATION = str.maketrans(TCVN3)
# TCVN3's ư is 0xAD, the soft hyphen, which some converters (antiword, PDF writers) drop:
# "trëng" for "tr­ëng". No syllable ends in ơng, ơc or ơu; ương, ước and ươu are common.
_LOST_U_HORN = re.compile(r"(?<!ư)([ơờớởỡợ])(?=(?:ng|c|u)(?![^\W\d_]))")
_NGUOI = re.compile(r"(?<![^\W\d_])([Nn][Gg])([ờỜ])(?=[iI](?![^\W\d_]))")
# Only a line with two ASCII capitals in a row can hold a .VnTimeH word to fix.
_CAPITALS = re.compile("[A-Z]{2}")

# VNI marks (upper-case form; the lower-case form is its Latin-1 lower case).
_TONE = {"\u0301": "Ù", "\u0300": "Ø", "\u0309": "Û", "\u0303": "Õ", "\u0323": "Ï"}
_CIRCUMFLEX = {"": "Â", "\u0301": "Á", "\u0300": "À", "\u0309": "Å", "\u0303": "Ã", "\u0323": "Ä"}
_BREVE = {"": "Ê", "\u0301": "É", "\u0300": "È", "\u0309": "Ú", "\u0303": "Ü", "\u0323": "Ë"}
# Letters VNI types as one character of their own.
_VNI_SINGLE = dict(zip("ƠƯĐÍÌỈĨỊỴ", "ÔÖÑÍÌÆÓÒÎ", strict=True))


def _vni_table() -> dict[str, str]:
    """VNI spelling -> Unicode letter, upper and lower case, built from the marks above."""
    table: dict[str, str] = {}

    def add(unicode_upper: str, vni_upper: str) -> None:
        letter = unicodedata.normalize("NFC", unicode_upper)
        table[vni_upper] = letter
        table[vni_upper.lower()] = letter.lower()

    for base in "AEOUY":
        for tone, mark in _TONE.items():
            if not (base == "Y" and tone == "\u0323"):  # Ỵ is a single character
                add(base + tone, base + mark)
    for base in "AEO":
        for tone, mark in _CIRCUMFLEX.items():
            add(base + "\u0302" + tone, base + mark)
    for tone, mark in _BREVE.items():
        add("A\u0306" + tone, "A" + mark)
    for horn, mark in (("O\u031b", "Ô"), ("U\u031b", "Ö")):
        for tone, tone_mark in _TONE.items():
            add(horn + tone, mark + tone_mark)
    for letter, code in _VNI_SINGLE.items():
        add(letter, code)
    return table


VNI = _vni_table()
_VNI_PATTERN = re.compile("|".join(sorted(map(re.escape, VNI), key=len, reverse=True)))

# Letters only Unicode Vietnamese has: their presence proves a paragraph is not legacy text.
_UNICODE_ONLY = re.compile("[ĂăĐđĨĩŨũƠơƯư\u1ea0-\u1ef9]")
_LEGACY_HINT = re.compile("[\u00a1-\u00ff]")
_WORD = re.compile(r"[^\W\d_]+")

_ONSETS = "b c ch d đ g gh gi h k kh l m n ng ngh nh p ph q qu r s t th tr v x".split()
_SYLLABLE = re.compile(
    rf"(?:{'|'.join(sorted(_ONSETS, key=len, reverse=True))})?"
    r"(?:[aăâeêioôơuưy]{1,3})(?:ch|ng|nh|[cmnpt])?"
)
_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"


@functools.lru_cache(maxsize=1 << 16)
def _is_syllable(word: str) -> bool:
    """A Vietnamese syllable with marks: a syllable's shape, at most one tone mark and at
    least one mark of any kind. Cached: a text repeats a few thousand syllables."""
    lower = word.lower()
    decomposed = unicodedata.normalize("NFD", lower)
    if sum(decomposed.count(t) for t in _TONE_MARKS) > 1:
        return False
    toneless = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONE_MARKS))
    marked = toneless != lower or any(c in "ăâêôơưđ" for c in toneless)
    return marked and _SYLLABLE.fullmatch(toneless) is not None


def score(text: str) -> tuple[int, int]:
    """(Vietnamese syllables with marks, words with non-ASCII letters that are not)."""
    good = bad = 0
    for word in _WORD.findall(text):
        if word.isascii():
            continue
        if _is_syllable(word):
            good += 1
        else:
            bad += 1
    return good, bad


def _upper_words(line: str) -> str:
    # .VnTimeH headings: the toned letters come out lower case inside upper-case words. A
    # word of one ASCII capital ("X·" = "XÃ") counts only inside an upper-case line.
    ascii_letters = [c for c in line if c.isascii() and c.isalpha()]
    heading = len(ascii_letters) >= 4 and sum(map(str.isupper, ascii_letters)) >= 0.8 * len(
        ascii_letters
    )
    least = 1 if heading else 2

    def fix(match: re.Match[str]) -> str:
        word = match[0]
        letters = [c for c in word if c.isascii()]
        return word.upper() if len(letters) >= least and all(map(str.isupper, letters)) else word

    return _WORD.sub(fix, line)


def from_tcvn3(text: str) -> str:
    converted = text.translate(_TCVN3_TRANSLATION)
    if "\xad" not in text:
        restored = _LOST_U_HORN.sub(r"ư\1", converted)
        if restored != converted:
            # The soft hyphens were dropped: "ngời" is then, far more likely, "người".
            converted = _NGUOI.sub(
                lambda m: m[1] + ("Ư" if m[2].isupper() else "ư") + m[2], restored
            )
    return "\n".join(
        _upper_words(line) if _CAPITALS.search(line) else line for line in converted.split("\n")
    )


def from_vni(text: str) -> str:
    return _VNI_PATTERN.sub(lambda m: VNI[m[0]], text)


CONVERTERS = {"TCVN3": from_tcvn3, "VNI": from_vni}


def _eligible(line: str) -> bool:
    return not _UNICODE_ONLY.search(line) and bool(_LEGACY_HINT.search(line))


def convert_lines(lines: list[str]) -> tuple[list[str], str | None]:
    """The lines with legacy text converted to Unicode NFC, and the encoding found (or the
    lines themselves and None). One encoding is chosen for all the lines together, as
    short lines alone are ambiguous; a line is converted only if that does not make it
    worse, and a line with letters only Unicode has is never touched."""
    eligible = [i for i, line in enumerate(lines) if _eligible(line)]
    if not eligible:
        return lines, None
    scores = [score(lines[i]) for i in eligible]
    good, bad = sum(g for g, _ in scores), sum(b for _, b in scores)
    best: tuple[int, str, list[str], list[tuple[int, int]]] | None = None
    for name, converter in CONVERTERS.items():
        candidates = [unicodedata.normalize("NFC", converter(lines[i])) for i in eligible]
        new_scores = [score(c) for c in candidates]
        new_good, new_bad = sum(g for g, _ in new_scores), sum(b for _, b in new_scores)
        # Clearly better: more marked syllables, no more non-words, most words Vietnamese.
        if (
            new_good > good
            and new_bad <= bad
            and new_good >= 2 * new_bad
            and new_good - good >= max(1, (good + bad) // 4)
            and (best is None or new_good - new_bad > best[0])
        ):
            best = (new_good - new_bad, name, candidates, new_scores)
    if best is None:
        return lines, None
    _, name, candidates, new_scores = best
    out = list(lines)
    for i, candidate, (g, b), (old_g, old_b) in zip(
        eligible, candidates, new_scores, scores, strict=True
    ):
        if g >= old_g and b <= old_b:
            out[i] = candidate
    return out, name


def convert(text: str) -> tuple[str, str | None]:
    """`text` with its legacy-encoded lines converted (see `convert_lines`)."""
    lines, name = convert_lines(text.split("\n"))
    return ("\n".join(lines), name) if name else (text, None)


def to_tcvn3(text: str) -> str:
    """Unicode -> TCVN3 (as Latin-1 characters); for tests and benchmarks."""
    reverse = {v: k for k, v in TCVN3.items()}
    out = []
    for c in unicodedata.normalize("NFC", text):
        if c in reverse:
            out.append(reverse[c])
        elif c.lower() in reverse and c.lower() != c:
            out.append(reverse[c.lower()])  # typed in .VnTimeH
        else:
            out.append(c)
    return "".join(out)


def to_vni(text: str) -> str:
    """Unicode -> VNI (as Latin-1 characters); for tests and benchmarks."""
    reverse = {v: k for k, v in VNI.items()}
    return "".join(reverse.get(c, c) for c in unicodedata.normalize("NFC", text))
