"""Semantic checks beyond the JSON Schema, all collected in one pass.

Each check reads the parsed document defensively and yields findings with the JSON path of the
offending node; the loader adds source lines. Checks run even where the schema check failed, so
an author fixing a spec sees every problem at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from contract_specs.checks_amounts import (
    check_caps_below_prices,
    check_cohort_rules,
    check_decimals,
    check_share_sums,
)
from contract_specs.checks_consents import check_consents
from contract_specs.checks_dates import (
    check_contract_dates,
    check_coverage,
    check_enrolment_windows,
    check_schedule_order,
)
from contract_specs.checks_examples import check_example_caps, check_examples
from contract_specs.checks_investment import check_investment
from contract_specs.checks_quantities import check_quantities
from contract_specs.checks_refs import check_cycles, check_ids, check_references
from contract_specs.checks_repeats import check_repeats
from contract_specs.checks_results import check_results
from contract_specs.checks_triggers import check_triggers
from contract_specs.docwalk import Names, entries
from contract_specs.findings import Finding, error


def semantic_findings(document: Any) -> list[Finding]:
    """Every semantic problem of a parsed spec document (errors and warnings)."""
    if not isinstance(document, dict):
        return []  # the schema check says the document must be a mapping
    names = Names.of(document)
    found: list[Finding] = []
    found.extend(_has_a_metric(document))
    found.extend(check_ids(document))
    found.extend(check_references(document, names))
    found.extend(check_cycles(document))
    found.extend(check_share_sums(document))
    found.extend(check_decimals(document, names))
    found.extend(check_cohort_rules(document))
    found.extend(check_contract_dates(document))
    found.extend(check_enrolment_windows(document))
    found.extend(check_schedule_order(document))
    found.extend(check_caps_below_prices(document))
    found.extend(check_coverage(document))
    found.extend(check_examples(document, names))
    found.extend(check_investment(document, names))
    found.extend(check_triggers(document, names))
    found.extend(check_repeats(document))
    found.extend(check_quantities(document, names))
    found.extend(check_results(document))
    found.extend(check_example_caps(document, names))
    found.extend(check_consents(document))
    return found


def _has_a_metric(document: dict[str, Any]) -> Iterator[Finding]:
    metrics = list(entries(document.get("metrics"))) + list(entries(document.get("cohort_metrics")))
    if not metrics:
        yield error("$", "the contract pays for nothing: declare `metrics` or `cohort_metrics`")
