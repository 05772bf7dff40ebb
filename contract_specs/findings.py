"""Findings: what is wrong with a spec, where, and what to do, collected as data.

A checker never raises on a user's mistake; it returns findings so the author sees every problem
in one pass (beancount style). `SpecError` exists only for callers that want a spec or nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal

Severity = Literal["error", "warning"]

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# the last step of a JSON path: `.key`, `[3]` or `['odd-key']`
_LAST_STEP = re.compile(r"(\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\]|\['(?:[^'\\]|\\.)*'\])$")


def jpath(*steps: str | int) -> str:
    """A JSON path from keys and indices: jpath("metrics", 3, "id") == "$.metrics[3].id"."""
    out = "$"
    for step in steps:
        out += child_step(step)
    return out


def child_step(step: str | int) -> str:
    """One step of a JSON path: `[3]`, `.key`, or `['odd-key']` for keys that need quoting."""
    if isinstance(step, int):
        return f"[{step}]"
    if _IDENTIFIER.match(step):
        return f".{step}"
    escaped = step.replace("\\", "\\\\").replace("'", "\\'")
    return f"['{escaped}']"


def parent_path(path: str) -> str | None:
    """The path one step up, or None at the root `$`."""
    if path == "$":
        return None
    trimmed = _LAST_STEP.sub("", path)
    return trimmed if trimmed != path else None


@dataclass(frozen=True)
class Finding:
    """One problem in a spec: its JSON path, what is wrong and what to do, and its source line."""

    path: str
    message: str
    line: int | None = None
    severity: Severity = "error"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def __str__(self) -> str:
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{self.path}: {prefix}{self.message}"


def error(path: str, message: str) -> Finding:
    """An error finding (the spec cannot be used until it is fixed)."""
    return Finding(path=path, message=message)


def warning(path: str, message: str) -> Finding:
    """A warning finding (the spec is usable, but probably not what the author meant)."""
    return Finding(path=path, message=message, severity="warning")


def with_lines(findings: Iterable[Finding], lines: dict[str, int]) -> list[Finding]:
    """Give each finding the source line of its path, or of the nearest enclosing node."""
    placed = []
    for finding in findings:
        path: str | None = finding.path
        line = finding.line
        while line is None and path is not None:
            line = lines.get(path)
            path = parent_path(path)
        placed.append(replace(finding, line=line))
    return placed


def sorted_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Errors and warnings in source order (findings without a line last), duplicates dropped."""
    unique = dict.fromkeys(findings)
    return sorted(unique, key=lambda f: (f.line is None, f.line or 0, f.path, f.message))


class SpecError(Exception):
    """A spec that cannot be used; `findings` holds every problem found, errors and warnings."""

    def __init__(self, source: str, findings: list[Finding]) -> None:
        self.source = source
        self.findings = findings
        errors = [f for f in findings if f.is_error]
        first = str(errors[0]) if errors else "invalid spec"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"{source}: {first}{more}")
