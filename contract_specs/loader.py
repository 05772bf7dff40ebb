"""Loading a contract spec: YAML or JSON text -> every finding, and the typed spec when valid.

    check_spec_file(path) -> list[Finding]        never raises on a user's mistake
    read_spec_file(path) / check_spec_text(text, source_name) -> CheckedSpec
    load_spec(path) / parse_spec_text(text, source_name) -> ContractSpec   or raise SpecError

JSON is parsed with `parse_float=Decimal` so no amount is ever a float; YAML is read with
`contract_specs.yaml_lines`, which keeps dates as text and gives every node its line.

Checking a spec is bounded work, whoever sends it: at most MAX_SPEC_BYTES are read, YAML
anchors and aliases are refused, and nesting deeper than Python can follow is a finding. Every
string is plain text of bounded size (contract_specs.checks_text).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from contract_specs.build import build_spec
from contract_specs.canonical import content_hash
from contract_specs.checks import semantic_findings
from contract_specs.checks_text import check_text
from contract_specs.findings import Finding, SpecError, error, sorted_findings, with_lines
from contract_specs.model import ContractSpec
from contract_specs.schema_check import schema_findings
from contract_specs.yaml_lines import Parsed, read_yaml

# the largest example spec is under 40 kB; checking 500 kB of YAML takes about two seconds
MAX_SPEC_BYTES = 500_000
NESTED_TOO_DEEPLY = "the spec is nested too deeply to read: a spec needs only a few levels"


@dataclass(frozen=True)
class CheckedSpec:
    """The outcome of checking one spec: every finding, and the spec when there is no error."""

    source: str
    findings: tuple[Finding, ...]
    spec: ContractSpec | None

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.is_error)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if not f.is_error)


def _duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise ValueError(f"the key `{repeated[0]}` appears more than once in one object")
    return dict(pairs)


def read_json(text: str) -> Parsed:
    """Parse JSON with exact decimals; line numbers come from reading the same text as YAML."""
    parsed = Parsed()
    try:
        parsed.data = json.loads(text, parse_float=Decimal, object_pairs_hook=_duplicate_keys)
    except json.JSONDecodeError as exc:
        parsed.findings.append(
            Finding(
                "$",
                f"JSON syntax error: {exc.msg} at line {exc.lineno}, column {exc.colno};"
                " fix the syntax there",
                line=exc.lineno,
            )
        )
        return parsed
    except ValueError as exc:
        parsed.findings.append(error("$", f"{exc}: keep only one"))
        return parsed
    # JSON is (almost always) valid YAML: reuse its node lines when PyYAML can read the text
    as_yaml = read_yaml(text)
    if not as_yaml.findings:
        parsed.lines = as_yaml.lines
    return parsed


def too_large(size: int) -> str:
    """The finding's message for a spec of `size` bytes over the limit."""
    return f"the spec is {size} bytes: at most {MAX_SPEC_BYTES} bytes are read"


def _refused(source_name: str, message: str) -> CheckedSpec:
    return CheckedSpec(source=source_name, findings=(error("$", message),), spec=None)


def check_spec_text(text: str, source_name: str = "<text>", *, stored: bool = False) -> CheckedSpec:
    """Check spec text (JSON when `source_name` ends in .json, else YAML): all findings at once.

    `stored`: the text of a version the ledger already holds, read back. Its strings are not
    held to the text rules (contract_specs.checks_text), which came after some versions were
    stored: a version loaded before them still reads, and its reports still show it."""
    size = len(text.encode("utf-8"))
    if size > MAX_SPEC_BYTES:
        return _refused(source_name, too_large(size))
    try:
        return _check_text(text, source_name, stored)
    except RecursionError:  # the parsers, the schema and the checks all recurse per level
        return _refused(source_name, NESTED_TOO_DEEPLY)


def _check_text(text: str, source_name: str, stored: bool) -> CheckedSpec:
    is_json = source_name.lower().endswith(".json")
    parsed = read_json(text) if is_json else read_yaml(text)
    findings = list(parsed.findings)
    if parsed.data is not None:
        findings.extend(schema_findings(parsed.data))
        findings.extend(semantic_findings(parsed.data))
        if not stored:
            findings.extend(check_text(parsed.data))
    findings = sorted_findings(with_lines(findings, parsed.lines))
    spec = None
    if parsed.data is not None and not any(f.is_error for f in findings):
        built = build_spec(parsed.data)
        spec = dataclasses.replace(built, content_hash=content_hash(built))
    return CheckedSpec(source=source_name, findings=tuple(findings), spec=spec)


def read_spec_file(path: str | Path) -> CheckedSpec:
    """Check a spec file; an unreadable file is a finding, not an exception."""
    try:
        size = Path(path).stat().st_size
        if size > MAX_SPEC_BYTES:  # refused before a byte of it is read
            return _refused(str(path), too_large(size))
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        finding = error(
            "$", f"cannot read the file ({reason}): check the path and that it is UTF-8 text"
        )
        return CheckedSpec(source=str(path), findings=(finding,), spec=None)
    return check_spec_text(text, str(path))


def check_spec_file(path: str | Path) -> list[Finding]:
    """Every finding (schema and semantic, errors and warnings) for a spec file, in one pass."""
    return list(read_spec_file(path).findings)


def _spec_or_raise(checked: CheckedSpec) -> ContractSpec:
    if checked.spec is None:
        raise SpecError(checked.source, list(checked.findings))
    return checked.spec


def load_spec(path: str | Path) -> ContractSpec:
    """The typed spec in a file; raises SpecError carrying every finding if it has errors."""
    return _spec_or_raise(read_spec_file(path))


def parse_spec_text(
    text: str, source_name: str = "<text>", *, stored: bool = False
) -> ContractSpec:
    """The typed spec in a text; raises SpecError carrying every finding if it has errors
    (`stored`: see check_spec_text)."""
    return _spec_or_raise(check_spec_text(text, source_name, stored=stored))
