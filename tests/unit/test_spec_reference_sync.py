"""docs/spec-language.md documents every key the JSON Schema accepts."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from contract_specs.schema_check import contract_schema

PAGE = Path(__file__).parents[2] / "docs" / "spec-language.md"


def schema_keys(schema: Any, where: str = "$") -> dict[str, str]:
    """Every property name in the schema -> one place it is declared (for the message)."""
    keys: dict[str, str] = {}
    if isinstance(schema, dict):
        for name, sub in schema.get("properties", {}).items():
            keys.setdefault(name, f"{where}.{name}")
            keys.update(
                {k: v for k, v in schema_keys(sub, f"{where}.{name}").items() if k not in keys}
            )
        for key, sub in schema.items():
            if key != "properties":
                for k, v in schema_keys(sub, f"{where}/{key}").items():
                    keys.setdefault(k, v)
    elif isinstance(schema, list):
        for item in schema:
            for k, v in schema_keys(item, where).items():
                keys.setdefault(k, v)
    return keys


def undocumented(schema: Any, page: str) -> list[str]:
    """Schema keys that never appear in backticks on the page (alone or as `key: ...`)."""
    prose = re.sub(r"^```.*?^```", "", page, flags=re.S | re.M)  # fences are not backticks
    quoted = set(re.findall(r"`([^`\n]+)`", prose))
    names = {re.split(r"[:\s.=]", q, maxsplit=1)[0] for q in quoted} | quoted
    return sorted(
        f"{key} ({place})" for key, place in schema_keys(schema).items() if key not in names
    )


def test_every_schema_key_is_documented() -> None:
    assert undocumented(contract_schema(), PAGE.read_text()) == []


def test_the_check_notices_a_missing_key() -> None:
    schema: dict[str, Any] = {"properties": {"contract": {"properties": {"brand_new_key": {}}}}}
    assert undocumented(schema, "`contract`") == ["brand_new_key ($.contract.brand_new_key)"]
