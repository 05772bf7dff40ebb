"""The JSON Schema check, with messages that say what is wrong and what to write instead.

jsonschema's own messages ("'x' does not match '^[a-z0-9]...'") name a regex, not a fix. Every
`$defs` entry in the schema carries a `description` phrased as "what is expected here"; the
messages below combine it with the value found, and suggest the nearest known key or option.
"""

from __future__ import annotations

import difflib
import json
import re
import sys
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from contract_specs.findings import Finding, child_step, error, jpath

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

SCHEMA_FILE = "contract.schema.json"


@cache
def contract_schema() -> dict[str, Any]:
    """The contract spec JSON Schema (Draft 2020-12), as shipped in contract_specs/schema/."""
    text = resources.files("contract_specs").joinpath("schema", SCHEMA_FILE).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


# The only `format` the contract schema uses; a test keeps this equal to the schema's formats.
SCHEMA_FORMATS = frozenset({"date"})
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def _is_date(instance: object) -> bool:
    """RFC 3339 full-date, as jsonschema's own "date" checker: YYYY-MM-DD and a real day."""
    if not isinstance(instance, str):
        return True
    if not _DATE.fullmatch(instance):
        return False
    try:
        date.fromisoformat(instance)
    except ValueError:
        return False
    return True


def _import_jsonschema() -> None:
    """Import jsonschema without letting it import rfc3987_syntax (STACK.md pitfall 11).

    jsonschema's format module imports rfc3987_syntax when it is installed, only for the
    "iri" formats, and that compiles a lark grammar for about a second on every CLI start. The
    contract schema uses no iri format, so the import is refused while jsonschema loads (an
    ImportError it expects and skips); a process that imported rfc3987_syntax first is left as is.
    """
    if "jsonschema" in sys.modules:
        return
    blocked = "rfc3987_syntax" not in sys.modules
    if blocked:
        sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]
    try:
        import jsonschema  # noqa: F401
    finally:
        if blocked:
            del sys.modules["rfc3987_syntax"]


@cache
def _validator() -> Draft202012Validator:
    _import_jsonschema()
    from jsonschema import Draft202012Validator, FormatChecker

    checker = FormatChecker(formats=())
    checker.checks("date", raises=ValueError)(_is_date)
    return Draft202012Validator(contract_schema(), format_checker=checker)


def schema_findings(document: Any) -> list[Finding]:
    """Every place where the document breaks the schema, one finding each."""
    findings: list[Finding] = []
    for err in _validator().iter_errors(document):
        findings.extend(_translate(err))
    return findings


def shown(value: Any) -> str:
    """A value as the author wrote it, for messages."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return f"the number {value}"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def did_you_mean(word: str, options: list[str]) -> str:
    """` (did you mean `x`?)` when one option is close to what was written, else ""."""
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f" (did you mean `{close[0]}`?)" if close else ""


def _expected(err: ValidationError) -> str:
    schema = err.schema if isinstance(err.schema, dict) else {}
    description = schema.get("description")
    return str(description) if description else err.message


def _translate(err: ValidationError) -> list[Finding]:
    path = jpath(*err.absolute_path)
    instance = err.instance
    schema = err.schema if isinstance(err.schema, dict) else {}
    kind = err.validator
    if "propertyNames" in err.relative_schema_path:
        return [
            error(
                path + child_step(str(instance)),
                f"the key {shown(instance)} is not {_expected(err)}: rename it",
            )
        ]
    if kind == "additionalProperties" and isinstance(instance, dict):
        allowed = sorted(schema.get("properties", {}))
        return [
            error(
                path + child_step(key),
                f"unknown key `{key}`{did_you_mean(key, allowed)}; "
                f"allowed here: {', '.join(allowed)}",
            )
            for key in instance
            if key not in allowed
        ]
    if kind == "required" and isinstance(instance, dict):
        return [
            error(path, f"missing `{key}`: add it to {_expected(err)}")
            for key in err.validator_value
            if key not in instance
        ]
    if kind == "enum":
        options = [str(option) for option in err.validator_value]
        hint = did_you_mean(str(instance), options) if isinstance(instance, str) else ""
        return [error(path, f"{shown(instance)} is not {_expected(err)}{hint}")]
    if kind in ("minItems", "maxItems"):
        count = len(instance) if isinstance(instance, list) else 0
        return [
            error(
                path,
                f"has {count} entries; expected {_expected(err)} "
                f"with at least {err.validator_value}",
            )
        ]
    if kind in ("minProperties", "maxProperties"):
        count = len(instance) if isinstance(instance, dict) else 0
        keys = f" ({', '.join(instance)})" if isinstance(instance, dict) and instance else ""
        return [error(path, f"has {count} keys{keys}; expected {_expected(err)}")]
    hint = ""
    is_number = isinstance(instance, int | Decimal) and not isinstance(instance, bool)
    if kind == "type" and is_number and "string" in str(err.validator_value):
        # YAML and JSON numbers are not decimal text: the fix is quoting, not a new value
        hint = f': write it in quotes, e.g. "{instance}"'
    return [error(path, f"{shown(instance)} is not {_expected(err)}{hint}")]
