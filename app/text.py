"""Text and numbers from people: one place that checks and normalises them, for pages and API.

Text is Unicode scalar values only (a lone surrogate cannot be stored or sent), has no control
characters (newlines and tabs only in multi-line text; a CR/LF in a name would break an email
subject, a control character in a description the Atom feed), is at most a length, and is
stored NFC-normalised (so the same name typed on two keyboards compares equal). Ids are 32-bit
and dates lie in 2000–2100, so that date arithmetic and the database never overflow.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any

SINGLE_LINE_MAX = 500  # a field without a length of its own
MULTI_LINE_MAX = 10_000
ID_MAX = 2**31 - 1  # ids and whole numbers are 32-bit integers in the database
INT_MIN = -(2**31)
PAGE_MAX = 100_000  # ?page= beyond this shows the last page's emptiness, not an overflow
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
# The ISO dates from FIRST_DAY to LAST_DAY, for documents that cannot compare dates (JSON Schema):
# with ``format: date`` (which refuses 2001-02-30), exactly those days.
DAY_PATTERN = r"^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
_MULTI_LINE_ALLOWED = {"\n", "\t"}


# An email address as the API takes it: dot-separated words of letters (Latin-1 too), digits
# and the signs RFC 5322 allows unquoted, @, a domain name of ASCII labels with a top-level
# domain of at least two letters. No quoted local parts, IP literals or bare host names.
_EMAIL_WORD = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff-]+"
_DOMAIN_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL_PATTERN = rf"^{_EMAIL_WORD}(\.{_EMAIL_WORD})*@({_DOMAIN_LABEL}\.)+[A-Za-z]{{2,63}}$"

# The text rules below (text_problem) as regular expressions, for the API's document (JSON
# Schema ``pattern``: ECMA 262, which Python reads alike): which characters text may hold, and,
# for text that may not be blank, a character that is not white space (what str.strip()
# removes, but for controls).
_CONTROLS = r"\u0000-\u001f\u007f-\u009f"  # Unicode category Cc
_MULTI_LINE_CONTROLS = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f"  # CR becomes LF
_LINE_SEPARATORS = r"\u2028\u2029"
_SPACES = r"\u0020\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"


def text_pattern(*, multiline: bool = False, blank: bool = True) -> str:
    """The pattern of the text that text_problem accepts (and, unless ``blank``, that is not
    white space only)."""
    allowed = f"[^{_MULTI_LINE_CONTROLS}]" if multiline else f"[^{_CONTROLS}{_LINE_SEPARATORS}]"
    if blank:
        return f"^{allowed}*$"
    return f"^{allowed}*[^{_CONTROLS}{_SPACES}]{allowed}*$"


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """The code of what is wrong with ``value`` as text, or None."""
    for char in value:
        point = ord(char)
        if 0xD800 <= point <= 0xDFFF:
            return "not_text"
        if unicodedata.category(char) == "Cc" and not (multiline and char in _MULTI_LINE_ALLOWED):
            return "control_characters" if multiline else "line_breaks_or_control"
        if point in (0x2028, 0x2029) and not multiline:  # Unicode's own line separators
            return "line_breaks_or_control"
    return None


def normalise(value: str, *, multiline: bool = False) -> str:
    """NFC, and CR LF / CR as LF in multi-line text (what browsers send for a newline)."""
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    try:
        return unicodedata.normalize("NFC", value)
    except UnicodeError:  # a lone surrogate: left for text_problem to refuse
        return value


def xml_safe(value: str) -> str:
    """``value`` without the characters XML 1.0 cannot carry (control characters but tab and
    line breaks, lone surrogates, U+FFFE/U+FFFF)."""
    return "".join(
        c
        for c in value
        if c in "\t\n\r"
        or (0x20 <= ord(c) <= 0xD7FF)
        or (0xE000 <= ord(c) <= 0xFFFD)
        or ord(c) >= 0x10000
    )


def has_lone_surrogate(data: Any) -> bool:
    """Whether a decoded JSON document holds a string with a lone surrogate anywhere."""
    if isinstance(data, str):
        return any(0xD800 <= ord(c) <= 0xDFFF for c in data)
    if isinstance(data, dict):
        return any(has_lone_surrogate(k) or has_lone_surrogate(v) for k, v in data.items())
    if isinstance(data, list):
        return any(has_lone_surrogate(v) for v in data)
    return False


def bounded_int(value: str | None, default: int, *, low: int = 1, high: int = ID_MAX) -> int:
    """A whole number from a query argument (``?page=``), clamped to [low, high]; anything
    that is not one gives ``default``."""
    try:
        number = int(value) if value is not None and len(value) < 12 else default
    except ValueError:
        return default
    return min(max(number, low), high)
