"""Semantic checks on the examples embedded in a spec: their rows name what the spec declares.

An example is read like the files a provider uploads, so the same mistakes are caught here as an
upload would meet: an unknown cohort, an attribute the spec does not declare, a value of the
wrong type.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from contract_specs.checks_amounts import too_many_places
from contract_specs.checks_consents import WITHDRAWN_ON
from contract_specs.checks_refs import PARTICIPANT_COLUMNS, POOL, ref, unknown
from contract_specs.docwalk import Doc, Names, as_date, as_decimal, entries, mapping
from contract_specs.findings import Finding, child_step, error, jpath, warning


def check_examples(doc: Doc, names: Names) -> Iterator[Finding]:
    """Every row of every example refers to declared cohorts, metrics, payers and attributes."""
    milestones = {
        m["id"]: mapping(m.get(kind)).get("measure")
        for _, m in entries(doc.get("metrics"))
        for kind in ("threshold", "per_unit", "scale")
        if isinstance(m.get("id"), str) and kind in m
    }
    for e, example in entries(doc.get("examples")):
        yield from _example(e, example, names)
        for r, row in entries(example.get("evidence")):
            if row.get("metric") in milestones:
                yield _milestone_named(
                    jpath("examples", e, "evidence", r, "metric"),
                    row["metric"],
                    milestones[row["metric"]],
                )


def _milestone_named(path: str, metric: str, measure: object) -> Finding:
    """A row naming a threshold metric counts for nothing: the example may show that on purpose
    (a warning, not an error), but an author who meant the measure hears it here."""
    return warning(
        path,
        f"`{metric}` is reached from the rows of measure `{measure}`: a row naming it counts "
        f"for nothing (threshold_not_claimable); name `{measure}` with a quantity instead",
    )


def _example(e: int, example: Doc, names: Names) -> Iterator[Finding]:
    at = ("examples", e)
    participants: dict[str, str] = {}
    for r, row in entries(example.get("participants")):
        yield from _participant(jpath(*at, "participants", r), row, names)
        pid = row.get("participant_id")
        if isinstance(pid, str):
            if pid in participants:
                yield _again(jpath(*at, "participants", r, "participant_id"), pid, participants)
            participants.setdefault(pid, jpath(*at, "participants", r))
    evidence: dict[str, str] = {}
    metric_or_measure = [*names.metrics, *names.measures, *names.events]
    for r, row in entries(example.get("evidence")):
        path = jpath(*at, "evidence", r)
        yield from unknown(
            path + ".participant_id",
            row.get("participant_id"),
            participants,
            "participant",
            "participants of this example",
        )
        metric = row.get("metric")
        yield from unknown(
            path + ".metric", metric, metric_or_measure, "metric or measure", "metrics"
        )
        if isinstance(metric, str) and metric in names.measures:
            yield from too_many_places(
                path + ".quantity",
                row.get("quantity"),
                names.measures[metric],
                f"the measure `{metric}`",
            )
        eid = row.get("evidence_id")
        if isinstance(eid, str):
            if eid in evidence:
                yield _again(path + ".evidence_id", eid, evidence)
            evidence.setdefault(eid, path)
    results: dict[str, str] = {}
    for r, row in entries(example.get("results")):
        path = jpath(*at, "results", r)
        yield from ref(path + ".metric", row.get("metric"), "cohort metric", names)
        yield from unknown(
            path + ".cohort", row.get("cohort"), [*names.cohorts, POOL], "cohort", "cohorts"
        )
        rid = row.get("result_id")
        if isinstance(rid, str):
            if rid in results:
                yield _again(path + ".result_id", rid, results)
            results.setdefault(rid, path)
    yield from _expectations(at, mapping(example.get("expect")), names, participants, evidence)


def _again(path: str, value: str, first: dict[str, str]) -> Finding:
    return error(path, f"`{value}` is already used at {first[value]}: give each row its own id")


def _participant(path: str, row: Doc, names: Names) -> Iterator[Finding]:
    yield from ref(path + ".cohort", row.get("cohort"), "cohort", names)
    providers = [p for p, role in names.parties.items() if role == "provider"]
    yield from unknown(path + ".provider", row.get("provider"), providers, "provider", "parties")
    for column, value in row.items():
        if column in PARTICIPANT_COLUMNS:
            continue
        if column == WITHDRAWN_ON:
            # the day the participant withdrew: their later evidence counts for nothing
            yield from _cell(path + child_step(column), value, {"type": "date"})
            continue
        if column in names.consents:
            # what they consented to is recorded at enrolment; the engine reads none of it
            yield from _cell(path + child_step(column), value, {"type": "boolean"})
            continue
        if column not in names.attributes:
            yield from ref(path + child_step(column), column, "attribute", names)
            continue
        yield from _cell(path + child_step(column), value, names.attributes[column])
    for attribute, declared in names.attributes.items():
        if declared.get("required", True) is not False and attribute not in row:
            yield error(path, f"missing the required attribute `{attribute}`: add it to the row")


def _cell(path: str, value: Any, declared: Doc) -> Iterator[Finding]:
    kind = declared.get("type")
    if value is None:
        return
    if kind == "date" and as_date(value) is None:
        yield error(path, f"{value!r} is not a date: write it YYYY-MM-DD")
    elif kind == "boolean" and not isinstance(value, bool):
        yield error(path, f"{value!r} is not true or false")
    elif kind == "integer" and (isinstance(value, bool) or not isinstance(value, int)):
        yield error(path, f"{value!r} is not a whole number")
    elif kind == "decimal" and as_decimal(value) is None:
        yield error(path, f'{value!r} is not a decimal number: write it in quotes, e.g. "1.5"')
    elif kind == "string":
        allowed = declared.get("values")
        if isinstance(allowed, list) and value not in allowed:
            yield error(
                path, f"{value!r} is not one of the declared values: {', '.join(map(str, allowed))}"
            )


def _expectations(
    at: tuple[str | int, ...],
    expect: Doc,
    names: Names,
    participants: dict[str, str],
    evidence: dict[str, str],
) -> Iterator[Finding]:
    line_owners = [*participants, *(f"cohort:{c}" for c in [*names.cohorts, POOL])]
    keys: dict[tuple[Any, ...], str] = {}
    for n, line in entries(expect.get("lines")):
        path = jpath(*at, "expect", "lines", n)
        yield from unknown(
            path + ".participant_id",
            line.get("participant_id"),
            line_owners,
            "participant",
            "participants of this example",
        )
        yield from unknown(
            path + ".metric",
            line.get("metric"),
            [*names.metrics, *names.cohort_metrics],
            "metric",
            "metrics",
        )
        yield from ref(path + ".payer", line.get("payer"), "payer", names)
        key = (
            line.get("participant_id"),
            line.get("metric"),
            line.get("occurrence", 1),
            line.get("payer"),
        )
        if key in keys:
            yield error(path, f"the same line is already expected at {keys[key]}: keep one")
        keys.setdefault(key, path)
    for n, row in entries(expect.get("not_payable")):
        yield from unknown(
            jpath(*at, "expect", "not_payable", n, "evidence_id"),
            row.get("evidence_id"),
            evidence,
            "evidence row",
            "evidence of this example",
        )
    for payer in mapping(expect.get("totals")):
        yield from ref(jpath(*at, "expect", "totals", payer), payer, "payer", names)


def check_example_caps(doc: Doc, names: Names) -> Iterator[Finding]:
    """An example's own caps name payers and metrics the spec declares."""
    for e, example in entries(doc.get("examples")):
        caps = mapping(example.get("caps"))
        for payer in mapping(caps.get("commitments")):
            yield from ref(
                jpath("examples", e, "caps", "commitments", payer), payer, "payer", names
            )
        for metric in mapping(caps.get("metrics")):
            yield from unknown(
                jpath("examples", e, "caps", "metrics", metric),
                metric,
                [*names.metrics, *names.cohort_metrics],
                "metric",
                "metrics",
            )
