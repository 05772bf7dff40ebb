"""Semantic checks on repeated outcomes: a tariff entry prices one way, and what a metric that
pays only once says about its second occurrence is pointed out."""

from __future__ import annotations

from collections.abc import Iterator

from contract_specs.checks_dates import price_schedules
from contract_specs.docwalk import Doc, entries
from contract_specs.findings import Finding, error, jpath, warning


def check_repeats(doc: Doc) -> Iterator[Finding]:
    """Each tariff entry gives `price` or `prices`; spacing and prices by occurrence on a
    metric paid at most once are warned about (they can change nothing)."""
    for at, schedule in price_schedules(doc):
        for k, entry in entries(schedule):
            if ("price" in entry) == ("prices" in entry):
                yield error(
                    jpath(*at, k),
                    "a tariff entry gives either one `price` or `prices` by occurrence number "
                    '(["400.00", "200.00"]: the first, then every later one): give exactly one',
                )
    for i, metric in entries(doc.get("metrics")):
        limit = metric.get("max_per_participant", 1)
        if not isinstance(limit, int) or limit > 1:
            continue
        if "min_spacing" in metric:
            yield warning(
                jpath("metrics", i, "min_spacing"),
                "the metric pays once per participant (max_per_participant 1), so a spacing "
                "between occurrences changes nothing: raise max_per_participant or remove it",
            )
        for k, entry in entries(metric.get("tariff")):
            if isinstance(entry.get("prices"), list) and len(entry["prices"]) > 1:
                yield warning(
                    jpath("metrics", i, "tariff", k, "prices"),
                    "the metric pays once per participant (max_per_participant 1): only the "
                    "first of these prices can ever be paid; raise max_per_participant",
                )
