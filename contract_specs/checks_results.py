"""Semantic checks on cohort results: a relative effect cannot be measured against 0."""

from __future__ import annotations

from collections.abc import Iterator

from contract_specs.docwalk import Doc, as_decimal, entries
from contract_specs.findings import Finding, jpath, warning


def check_results(doc: Doc) -> Iterator[Finding]:
    """Warn where an example's result compares a relative effect with 0: the effect is then 0
    (a percentage of nothing), which an author who meant points hears here."""
    relative = {
        m.get("id")
        for _, m in entries(doc.get("cohort_metrics"))
        if m.get("effect", "relative") == "relative"
    }
    for e, example in entries(doc.get("examples")):
        for r, row in entries(example.get("results")):
            if row.get("metric") in relative and as_decimal(row.get("comparison")) == 0:
                yield warning(
                    jpath("examples", e, "results", r, "comparison"),
                    f"`{row['metric']}` measures its effect in percent of the comparison, and "
                    "against 0 that is 0: nothing is paid; declare `effect: absolute` to "
                    "measure it in points",
                )
