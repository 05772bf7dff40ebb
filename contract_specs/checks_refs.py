"""Semantic checks: every id is declared once, and every reference names something declared.

Metric, cohort metric, measure and event ids share one namespace: an evidence row's `metric`
column may name a metric, a measure or an event, and an entitlement line's `metric` a metric or
a cohort metric.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from contract_specs.docwalk import Doc, Names, entries, listing, mapping
from contract_specs.findings import Finding, error, jpath
from contract_specs.schema_check import did_you_mean

# columns every participants file has; an attribute may not take one of these names
PARTICIPANT_COLUMNS = ("participant_id", "cohort", "provider", "start_date")
# "cohort:pool" names the line of a pooled cohort metric, so no cohort may be called "pool"
POOL = "pool"


def unknown(path: str, name: Any, known: Iterable[str], what: str, where: str) -> Iterator[Finding]:
    """A finding when `name` is not among `known`: says what is known and where to declare it."""
    options = list(known)
    if isinstance(name, str) and name not in options:
        yield error(
            path,
            f"unknown {what} `{name}`{did_you_mean(name, options)}: known {what}s are "
            f"{listing(options)}; declare it under `{where}` or use one of those",
        )


# what a reference may name -> (where it is declared, the declared names)
_DECLARED: dict[str, tuple[str, Callable[[Names], Iterable[str]]]] = {
    "metric": ("metrics", lambda n: n.metrics),
    "measure": ("measures", lambda n: n.measures),
    "event": ("events", lambda n: n.events),
    "cohort": ("cohorts", lambda n: n.cohorts),
    "cohort metric": ("cohort_metrics", lambda n: n.cohort_metrics),
    "payer": ("payers", lambda n: n.payers),
    "party": ("parties", lambda n: n.parties),
    "attribute": ("attributes", lambda n: n.attributes),
}


def ref(path: str, name: Any, what: str, names: Names) -> Iterator[Finding]:
    """A finding when `name` is not a declared `what` (metric, cohort, payer, ...)."""
    where, declared = _DECLARED[what]
    yield from unknown(path, name, declared(names), what, where)


# (sections sharing one namespace, the key naming an item, what the name is)
_NAMESPACES = (
    (("parties",), "id", "party id"),
    (("cohorts",), "id", "cohort id"),
    (("metrics", "cohort_metrics", "measures", "events"), "id", "metric, measure or event id"),
    (("payers",), "party", "payer"),
    (("examples",), "name", "example name"),
)


def check_ids(doc: Doc) -> Iterator[Finding]:
    """Duplicate ids, and names that clash with what the product reserves."""
    for sections, key, what in _NAMESPACES:
        yield from _duplicates(
            [
                (jpath(section, i, key), item.get(key))
                for section in sections
                for i, item in entries(doc.get(section))
            ],
            what,
        )
    for i, cohort in entries(doc.get("cohorts")):
        if cohort.get("id") == POOL:
            yield error(
                jpath("cohorts", i, "id"),
                f"`{POOL}` is reserved for pooled cohort results: choose another cohort id",
            )
    for name, declared in mapping(doc.get("attributes")).items():
        if name in PARTICIPANT_COLUMNS:
            yield error(
                jpath("attributes", name),
                f"`{name}` is already a column of every participants file: "
                "remove it from `attributes` or give the attribute another name",
            )
        declared = mapping(declared)
        if "values" in declared and declared.get("type") != "string":
            yield error(
                jpath("attributes", name, "values"),
                "`values` restricts a string attribute only: remove it or set `type: string`",
            )


def _duplicates(places: list[tuple[str, Any]], what: str) -> Iterator[Finding]:
    first: dict[str, str] = {}
    for path, value in places:
        if not isinstance(value, str):
            continue
        if value in first:
            yield error(
                path,
                f"the {what} `{value}` is already used at {first[value]}: give each its own",
            )
        else:
            first[value] = path


def check_references(doc: Doc, names: Names) -> Iterator[Finding]:
    """Every cohort, metric, measure, payer, party and attribute named is declared."""
    for i, payer in entries(doc.get("payers")):
        yield from _payer_party(jpath("payers", i, "party"), payer.get("party"), names)
    yield from check_shares_payers(("payer_shares",), doc.get("payer_shares"), names)
    for i, cohort in entries(doc.get("cohorts")):
        for metric_id in mapping(cohort.get("tariffs")):
            yield from ref(jpath("cohorts", i, "tariffs", metric_id), metric_id, "metric", names)
        yield from check_rules(("cohorts", i, "eligibility"), cohort.get("eligibility"), names)
        yield from _no_outcome_rules(("cohorts", i, "eligibility"), cohort.get("eligibility"))
    for i, metric in entries(doc.get("metrics")):
        for j, prerequisite in entries(metric.get("prerequisites")):
            yield from ref(
                jpath("metrics", i, "prerequisites", j, "metric"),
                prerequisite.get("metric"),
                "metric",
                names,
            )
            for k, event in enumerate(_list(prerequisite.get("interrupted_by"))):
                yield from ref(
                    jpath("metrics", i, "prerequisites", j, "interrupted_by", k),
                    event,
                    "event",
                    names,
                )
        threshold = mapping(metric.get("threshold"))
        yield from ref(
            jpath("metrics", i, "threshold", "measure"), threshold.get("measure"), "measure", names
        )
        for cohort_id in mapping(metric.get("cohort_targets")):
            yield from ref(
                jpath("metrics", i, "cohort_targets", cohort_id), cohort_id, "cohort", names
            )
        yield from check_rules(("metrics", i, "conditions"), metric.get("conditions"), names)
        yield from check_shares_payers(
            ("metrics", i, "payer_shares"), metric.get("payer_shares"), names
        )
    for i, cohort_metric in entries(doc.get("cohort_metrics")):
        for j, cohort_id in enumerate(_list(cohort_metric.get("cohorts"))):
            yield from ref(jpath("cohort_metrics", i, "cohorts", j), cohort_id, "cohort", names)
        for j, other in enumerate(_list(cohort_metric.get("net_of"))):
            yield from ref(jpath("cohort_metrics", i, "net_of", j), other, "cohort metric", names)
        yield from check_shares_payers(
            ("cohort_metrics", i, "payer_shares"), cohort_metric.get("payer_shares"), names
        )


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _payer_party(path: str, party: Any, names: Names) -> Iterator[Finding]:
    if not isinstance(party, str):
        return
    if party not in names.parties:
        yield from ref(path, party, "party", names)
    elif names.parties[party] != "commissioner":
        yield error(
            path,
            f"the payer `{party}` is a party with role {names.parties[party]}; an outcome payer "
            "must have role commissioner: change its role or name a commissioner",
        )


def check_shares_payers(
    at: tuple[str | int, ...], schedule: Any, names: Names
) -> Iterator[Finding]:
    """Each party in a payer shares schedule is listed under `payers`."""
    for k, entry in entries(schedule):
        for party in mapping(entry.get("shares")):
            path = jpath(*at, k, "shares", party)
            if party in names.parties and party not in names.payers:
                yield error(
                    path,
                    f"`{party}` has a share but is not an outcome payer: "
                    f"add `{{party: {party}}}` under `payers`",
                )
            elif party not in names.payers:
                yield from ref(path, party, "payer", names)


def check_rules(at: tuple[str | int, ...], rules: Any, names: Names) -> Iterator[Finding]:
    """Eligibility rules and metric conditions name declared attributes of the right type."""
    for j, rule in entries(rules):
        for kind, body in rule.items():
            body = mapping(body)
            attribute = body.get("attribute")
            path = jpath(*at, j, kind, "attribute")
            if not isinstance(attribute, str):
                continue
            if attribute not in names.attributes:
                yield from ref(path, attribute, "attribute", names)
                continue
            declared = names.attributes[attribute]
            yield from _rule_fits(jpath(*at, j, kind), kind, body, attribute, declared)


def _no_outcome_rules(at: tuple[str | int, ...], rules: Any) -> Iterator[Finding]:
    """Eligibility is judged at enrolment, when no outcome has a day yet."""
    for j, rule in entries(rules):
        if "age_at_outcome" in rule:
            yield error(
                jpath(*at, j, "age_at_outcome"),
                "age_at_outcome is judged on the day of an outcome, and enrolment has none: "
                "use age_at_start here, or move the rule to the metric's `conditions`",
            )


def _rule_fits(path: str, kind: str, body: Doc, attribute: str, declared: Doc) -> Iterator[Finding]:
    declared_type = declared.get("type")
    if kind in ("age_at_start", "age_at_outcome"):
        if declared_type != "date":
            yield error(
                path + ".attribute",
                f"{kind} needs a date attribute, but `{attribute}` is {declared_type}: "
                "name a date attribute such as date_of_birth",
            )
        low, high = body.get("min"), body.get("max")
        if low is None and high is None:
            yield error(path, f"{kind} needs `min`, `max` or both")
        elif isinstance(low, int) and isinstance(high, int) and low > high:
            yield error(path, f"`min` {low} is above `max` {high}: no age would qualify")
    elif kind == "flag" and declared_type != "boolean":
        yield error(
            path + ".attribute",
            f"a flag rule needs a boolean attribute, but `{attribute}` is {declared_type}: "
            "use one_of for other types",
        )
    elif kind == "one_of":
        if declared_type in ("date", "boolean"):
            yield error(
                path + ".attribute",
                f"one_of cannot test the {declared_type} attribute `{attribute}`: "
                "use age_at_start for dates and flag for booleans",
            )
        allowed = declared.get("values")
        if isinstance(allowed, list):
            for v, value in enumerate(_list(body.get("values"))):
                if value not in allowed:
                    yield error(
                        f"{path}.values[{v}]",
                        f"`{value}` is not a declared value of `{attribute}` "
                        f"({listing(allowed)}): use one of those or add it to the attribute",
                    )


def check_cycles(doc: Doc) -> Iterator[Finding]:
    """Prerequisites and net_of must not form a cycle; each cycle is named once, in full."""
    yield from _cycles(
        doc, "metrics", "prerequisites", "prerequisites", "no occurrence in it could ever be paid"
    )
    yield from _cycles(
        doc, "cohort_metrics", "net_of", "net_of", "each would be paid net of the other"
    )


def _cycles(doc: Doc, section: str, key: str, what: str, why: str) -> Iterator[Finding]:
    order: list[str] = []
    edges: dict[str, list[tuple[int, str]]] = {}
    position: dict[str, int] = {}
    for i, item in entries(doc.get(section)):
        node = item.get("id")
        if not isinstance(node, str) or node in position:
            continue
        position[node] = i
        order.append(node)
        edges[node] = [(j, t) for j, t in _targets(item, key) if isinstance(t, str)]
    rank = {node: n for n, node in enumerate(order)}
    for cycle, first_index in _elementary_cycles(order, edges, rank):
        start = cycle[0]
        path = jpath(section, position[start], key, first_index)
        if key == "prerequisites":
            path += ".metric"
        yield error(
            path,
            f"{what} form a cycle: {' -> '.join([*cycle, start])}; {why}: remove one link",
        )


def _targets(item: Doc, key: str) -> list[tuple[int, Any]]:
    if key == "prerequisites":  # a list of {metric, min_gap}
        return [(j, p.get("metric")) for j, p in entries(item.get(key))]
    return list(enumerate(_list(item.get(key))))  # a list of ids


def _elementary_cycles(
    order: list[str], edges: dict[str, list[tuple[int, str]]], rank: dict[str, int]
) -> Iterator[tuple[list[str], int]]:
    """Each elementary cycle once, starting from its earliest node (small graphs only)."""
    found = 0
    for start in order:
        stack: list[tuple[str, list[str], int | None]] = [(start, [start], None)]
        while stack and found < 20:
            node, trail, first_index = stack.pop()
            for index, target in edges.get(node, []):
                step_index = index if first_index is None else first_index
                if target == start:
                    found += 1
                    yield trail, step_index
                elif target in rank and rank[target] > rank[start] and target not in trail:
                    stack.append((target, [*trail, target], step_index))
