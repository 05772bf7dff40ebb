"""Money references (a remittance's, a cash transaction's): text a person reads on a statement.

A reference is what a bank statement or a payment run writes beside an amount: words, numbers
and the punctuation payment references use (the SWIFT character set's `/ - ? : ( ) . , ' +`
and a space, with `_ # & ;`), so `Q1 2015 / PB-2015Q1-moj-1` and the ledger's own
`distribution:2015-12-31:ab12cd34ef56:1` are references. Letters and digits of any script
are allowed; control characters, markup and formula characters (`= @ < > " | \\` ...) are not:
a reference is data wherever it goes. Each import bounds its references to what its table
holds. Nothing here touches the database.
"""

from __future__ import annotations

import re

import pandas as pd

PUNCTUATION = "/-?:().,'+_#&; "
REFERENCE_RULE = "a reference holds letters, digits, spaces and the punctuation " + " ".join(
    PUNCTUATION.strip()
)
# \w is Unicode: letters and digits of any script (and `_`)
_REFERENCE = re.compile(rf"[\w{re.escape(PUNCTUATION)}]*")
_NOT_ALLOWED = re.compile(rf"[^\w{re.escape(PUNCTUATION)}]")


def reference_problems(values: pd.Series, at_most: int) -> pd.Series:
    """Per value, what is wrong with it as a reference of at most `at_most` characters ("" when
    nothing is), in words that say what to write instead."""
    long = values.str.len() > at_most
    odd = ~values.str.fullmatch(_REFERENCE).fillna(False).astype(bool)
    said = pd.Series("", index=values.index, dtype="object")
    if odd.any():
        said[odd] = [_what_is_odd(v) for v in values[odd]]
    if long.any():
        said[long & ~odd] = f"is too long: at most {at_most} characters"
    return said


def _what_is_odd(value: str) -> str:
    found = _NOT_ALLOWED.search(value)
    char = found.group() if found else ""
    shown = repr(char) if char.isprintable() else f"U+{ord(char):04X}"
    return f"contains {shown}, which a reference may not hold: {REFERENCE_RULE}"
