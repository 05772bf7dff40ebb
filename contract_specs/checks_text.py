"""Every text of a spec is plain text of bounded size: no control characters, no huge strings.

A spec's names and descriptions reach every report and page (a party's name heads its
workbook); a control character there breaks the workbook for good (openpyxl refuses it at save
time) and an invisible one makes two names look the same. Line breaks and tabs are text (a
description may have paragraphs); every other C0 control, DEL and the C1 controls are refused,
at the JSON path of the string or key that holds them. A string longer than MAX_TEXT characters
is no name or description a contract needs, and would be copied into every report.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from contract_specs.findings import Finding, child_step, error

MAX_TEXT = 5_000  # characters in one string of a spec (a description of a page or so)
MAX_SHOWN = 40  # characters of an offending key shown in its path
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def check_text(document: Any) -> Iterator[Finding]:
    """Each string (value or key) of `document` holding a control character or longer than
    MAX_TEXT, at its JSON path."""
    # an explicit stack, not recursion: a deep document is the loader's finding, not a crash here
    stack: list[tuple[str, Any]] = [("$", document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            yield from _problems(path, value)
        elif isinstance(value, dict):
            for key, item in reversed(value.items()):
                step = child_step(_shown(key)) if isinstance(key, str) else child_step(str(key))
                if isinstance(key, str):
                    yield from _problems(path + step, key, what="key")
                stack.append((path + step, item))
        elif isinstance(value, list):
            stack.extend(
                (path + child_step(i), item) for i, item in reversed(list(enumerate(value)))
            )


def _problems(path: str, text: str, what: str = "text") -> Iterator[Finding]:
    found = _CONTROL.search(text)
    if found:
        code = f"U+{ord(found.group()):04X}"
        yield error(path, f"the {what} contains a control character ({code}): remove it")
    if len(text) > MAX_TEXT:
        yield error(path, f"the {what} is {len(text)} characters: at most {MAX_TEXT}; shorten it")


def _shown(key: str) -> str:
    """A key as its path shows it: control characters escaped, a long key cut short, so that
    the path itself is plain text of bounded size."""
    shown = _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", key)
    return shown if len(shown) <= MAX_SHOWN else shown[:MAX_SHOWN] + "..."
