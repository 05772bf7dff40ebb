"""A contract's INDIGO profile: what the INDIGO export needs that the spec does not say.

INDIGO (the Government Outcomes Lab's impact bond data) assigns its own ids to projects
(INDIGO-POJ-NNNN) and organisations (INDIGO-ORG-NNNN) and classifies each project by policy
sector and jurisdiction. None of that changes what is owed, so it stays out of the contract spec;
an intermediary who shares with INDIGO keeps it in a small YAML (or JSON) file beside the spec,
checked against contract_specs/schema/indigo-profile.schema.json. Without one, the export names
the project and the organisations by the contract's and parties' own ids.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from contract_specs.findings import jpath
from contract_specs.yaml_lines import read_yaml
from reconciliation.errors import Problem
from reporting.errors import ReportError

PROFILE_SCHEMA = "indigo-profile.schema.json"
MAX_BYTES = 1_000_000


@dataclass(frozen=True)
class IndigoProfile:
    """INDIGO's ids and classification of one contract (every field optional)."""

    project_id: str | None = None
    policy_sector: str | None = None
    jurisdiction: str | None = None
    # party id in the spec -> INDIGO organisation id
    organisations: Mapping[str, str] = field(default_factory=dict)


@cache
def profile_schema() -> dict[str, Any]:
    """The profile's JSON Schema, shipped with contract_specs."""
    text = resources.files("contract_specs").joinpath("schema", PROFILE_SCHEMA).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def read_profile(path: Path) -> IndigoProfile:
    """The profile in `path`, or ReportError naming every problem (`FILE: $.path: what`)."""
    place = str(path)
    if path.stat().st_size > MAX_BYTES:
        raise ReportError([Problem(place, f"larger than {MAX_BYTES} bytes: not an INDIGO profile")])
    parsed = read_yaml(path.read_text("utf-8", errors="replace"))
    if parsed.findings:
        raise ReportError(Problem(place, f"{f.path}: {f.message}") for f in parsed.findings)
    return profile_from(parsed.data, place)


def profile_from(document: Any, place: str = "profile") -> IndigoProfile:
    """A checked profile from plain data (a parsed file or a request body)."""
    from jsonschema import Draft202012Validator

    problems = [
        Problem(place, f"{jpath(*err.absolute_path)}: {err.message}")
        for err in sorted(
            Draft202012Validator(profile_schema()).iter_errors(document),
            key=lambda e: list(map(str, e.absolute_path)),
        )
    ]
    if problems:
        raise ReportError(problems)
    return IndigoProfile(
        project_id=document.get("project_id"),
        policy_sector=document.get("policy_sector"),
        jurisdiction=document.get("jurisdiction"),
        organisations=dict(document.get("organisations", {})),
    )
