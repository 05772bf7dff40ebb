"""The canonical content hash of a contract spec.

Two files that say the same contract hash the same, whatever they are written in (YAML or JSON),
in whatever key order, with defaults spelt out or left implicit, and with "500.00" or "500": the
hash is the sha256 of the canonical JSON of the parsed spec (sorted keys, no insignificant
whitespace, decimals as normalised strings, dates in ISO form). The ledger uses it to tell a new
spec version from a re-submission of the same one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from contract_specs.model import ContractSpec


def plain_decimal(number: Decimal) -> str:
    """A decimal without insignificant zeros or exponent: 1500.00 -> "1500", 7.50 -> "7.5"."""
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, tuple | list | Mapping) and len(value) == 0)


def canonical_data(value: Any) -> Any:
    """The spec (or any part of it) as JSON-ready data; dataclasses carry their type name."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        # Empty optional parts are left out, so that a section the language gains later
        # (triggers, investment, ...) does not change the hash of specs that do not use it.
        fields = {
            f.name: canonical_data(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name != "content_hash"  # the hash cannot be part of what it hashes
            and not _is_empty(getattr(value, f.name))
        }
        return {"_type": type(value).__name__, **fields}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return plain_decimal(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): canonical_data(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [canonical_data(item) for item in value]
    return value


def canonical_json(spec: ContractSpec) -> str:
    """The canonical JSON text of a spec: sorted keys, no insignificant whitespace."""
    # attributes and consents are declared as mappings, so their order carries no meaning
    unordered = dataclasses.replace(
        spec,
        attributes=tuple(sorted(spec.attributes, key=lambda a: a.name)),
        consents=tuple(sorted(spec.consents, key=lambda c: c.name)),
    )
    return json.dumps(
        canonical_data(unordered), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def content_hash(spec: ContractSpec) -> str:
    """sha256 (hex) of the spec's canonical JSON."""
    return hashlib.sha256(canonical_json(spec).encode("utf-8")).hexdigest()
