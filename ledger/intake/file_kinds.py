"""What a file really is, from its first bytes: so that a PNG named .csv, a UTF-16 export or an
old .xls named .xlsx is refused in words that say what it is and what to do, not with a
decoder's traceback."""

from __future__ import annotations

import codecs

# the leading bytes of the files people send by mistake, and what to call each
SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"{\\rtf", "an RTF document"),
    (b"PK\x03\x04", "a zip archive (an .xlsx workbook?)"),
    (b"PK\x05\x06", "an empty zip archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Excel .xls workbook (or an old Office file)"),
)
ZIP = b"PK\x03\x04"
_UTF32 = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)
_UTF16 = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_SAMPLE = 4096


def binary_kind(data: bytes) -> str | None:
    """What `data` is when it starts like a known binary file ("a PNG image"), else None."""
    return next((kind for start, kind in SIGNATURES if data.startswith(start)), None)


def encoding_problem(data: bytes) -> str | None:
    """None when `data` is UTF-8 text (a UTF-8 BOM is fine); otherwise what it looks like, and
    where the first character that is not UTF-8 is."""
    if data.startswith(_UTF32):
        return "it looks like UTF-32"
    if data.startswith(_UTF16) or _looks_utf16(data[:_SAMPLE]):
        return "it looks like UTF-16"
    if data.isascii():
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        # every byte is a Latin-1 character: the usual culprit is a "CSV" saved by Excel on
        # Windows, which writes Windows-1252 (Latin-1's superset)
        return (
            "it looks like Latin-1 or Windows-1252; the first character that is not UTF-8 "
            f"is on line {line}"
        )
    return None


def _looks_utf16(sample: bytes) -> bool:
    # UTF-16 without a BOM: text in Latin script has a zero byte in every other place
    if len(sample) < 2:
        return False
    zeros = max(sample[0::2].count(0), sample[1::2].count(0))
    return zeros * 4 >= len(sample)


def is_text(data: bytes) -> bool:
    """Whether `data` reads as UTF-8 text (no binary signature, no other encoding)."""
    return binary_kind(data) is None and encoding_problem(data) is None
