"""Reading YAML into plain data that keeps every node's source line, and never a float.

PyYAML's own constructors turn `2015-01-01` into a date, `500.00` into a float and `no` into
False. A spec needs the opposite: dates stay text until the loader converts them, numbers that
are not whole become `Decimal`, and only `true`/`false` are booleans (YAML 1.2 core schema). So
we compose the node graph and build the values ourselves, recording `line N` per JSON path.

Anchors and aliases are refused as they are met (`SpecLoader`): PyYAML's safe loader still
expands them, so a few hundred bytes of nested aliases are millions of nodes to compose and
check. A spec has no need of them; a value written out in full is also easier to review.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import yaml

from contract_specs.findings import Finding, child_step, error

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?[0-9]+$")
_DECIMAL = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")


@dataclass
class Parsed:
    """A parsed document: the data, the line of each JSON path, and any problems met."""

    data: Any = None
    lines: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)


def scalar_value(node: yaml.ScalarNode) -> Any:
    """A plain scalar as null, bool, int or Decimal when it looks like one; quoted ones are text."""
    text = node.value
    if node.style is not None:  # quoted or block scalar: always text
        return text
    if _NULL.match(text):
        return None
    if text in _BOOL:
        return _BOOL[text]
    if _INT.match(text):
        return int(text)
    if _DECIMAL.match(text):
        return Decimal(text)
    return text


class AliasRefused(yaml.MarkedYAMLError):
    """An anchor or an alias in a spec, at its place."""


class SpecLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing anchors and aliases before anything is built from them."""

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        # types-PyYAML leaves the parser's peek_event untyped
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise AliasRefused(problem=ALIASES_REFUSED, problem_mark=event.start_mark)
        return super().compose_node(parent, index)


ALIASES_REFUSED = "anchors and aliases are not allowed in a contract spec"


def read_yaml(text: str) -> Parsed:
    """One YAML document as plain data with a line per JSON path; never raises on bad YAML."""
    parsed = Parsed()
    loader = SpecLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            parsed.findings.append(error("$", "the file is empty: write a contract spec in it"))
            return parsed
        parsed.data = _Builder(loader, parsed).build(node, "$")
    except AliasRefused as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        message = f"line {line}: {ALIASES_REFUSED}: write each value out in full"
        parsed.findings.append(Finding(path="$", message=message, line=line))
        parsed.data = None
    except yaml.MarkedYAMLError as exc:
        parsed.findings.append(syntax_finding(exc))
        parsed.data = None
    except yaml.YAMLError as exc:
        parsed.findings.append(error("$", f"not valid YAML ({exc}): fix the syntax"))
        parsed.data = None
    finally:
        loader.dispose()
    return parsed


def syntax_finding(exc: yaml.MarkedYAMLError) -> Finding:
    """One clean finding for a YAML syntax error, at the line and column PyYAML points to."""
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or "not valid YAML"
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    context = f" ({exc.context})" if exc.context else ""
    return Finding(
        path="$",
        message=f"YAML syntax error: {problem}{context}{where}; fix the syntax there",
        line=mark.line + 1 if mark else None,
    )


class _Builder:
    def __init__(self, loader: SpecLoader, parsed: Parsed) -> None:
        self.loader = loader
        self.parsed = parsed

    def build(self, node: yaml.Node, path: str) -> Any:
        self.parsed.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.ScalarNode):
            return scalar_value(node)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + child_step(i)) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.MappingNode)
        return self._mapping(node, path)

    def _mapping(self, node: yaml.MappingNode, path: str) -> dict[str, Any]:
        seen: set[str] = set()
        for key_node, _ in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key is None or key == "<<":
                continue
            if key in seen:
                line = key_node.start_mark.line + 1
                self.parsed.findings.append(
                    Finding(
                        path + child_step(key),
                        f"the key `{key}` appears more than once here: keep only one",
                        line=line,
                    )
                )
            seen.add(key)
        # merge keys (`<<: *defaults`) are resolved the YAML way: explicit keys win
        self.loader.flatten_mapping(node)
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.parsed.findings.append(
                    Finding(
                        path,
                        "a key must be a plain name, not a list or mapping",
                        line=key_node.start_mark.line + 1,
                    )
                )
                continue
            key = key_node.value
            child = path + child_step(key)
            # the key's own line: where an author looks for `contract:` or `price:`
            self.parsed.lines.setdefault(child, key_node.start_mark.line + 1)
            result[key] = self.build(value_node, child)
        return result
