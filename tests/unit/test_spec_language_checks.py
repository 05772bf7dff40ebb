"""The checks of the rules added for issue 16 ("what could not be said"), table-driven: one
mistake in an otherwise valid spec -> its finding, at its JSON path."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from contract_specs.loader import check_spec_text
from contract_specs.yaml_lines import read_yaml

BASE = Path(__file__).parents[1] / "fixtures" / "specs" / "job_outcomes.yaml"
Doc = dict[str, Any]


def base() -> Doc:
    data: Doc = read_yaml(BASE.read_text()).data
    return data


def findings_of(doc: Doc) -> list[tuple[str, str, str]]:
    checked = check_spec_text(json.dumps(doc), "spec.json")
    return [(f.path, f.severity, f.message) for f in checked.findings]


def metric(doc: Doc, i: int) -> Doc:
    result: Doc = doc["metrics"][i]
    return result


def with_milestone(doc: Doc) -> Doc:
    doc["measures"] = [{"id": "earnings", "name": "Earnings", "unit": "GBP"}]
    doc["metrics"].append(
        {
            "id": "earned_768",
            "name": "Earned 768",
            "threshold": {"measure": "earnings", "quantity": "768"},
            "tariff": [{"from": "2015-01-01", "price": "300.00"}],
        }
    )
    return doc


def example_row(doc: Doc, **row: Any) -> Doc:
    doc["examples"][0]["evidence"].append(
        {"evidence_id": "E9", "participant_id": "P1", "achieved_on": "2015-06-01", **row}
    )
    return doc


CASES: list[tuple[str, Callable[[Doc], object], str, str, str]] = [
    # (name, mutation, JSON path of the finding, severity, a phrase its message must contain)
    (
        "an example row naming a threshold metric instead of its measure",
        lambda d: example_row(with_milestone(d), metric="earned_768"),
        "$.examples[0].evidence[2].metric",
        "warning",
        "name `earnings` with a quantity instead",
    ),
    (
        "an age at the outcome in a cohort's eligibility",
        lambda d: d["cohorts"][0]["eligibility"].append(
            {"age_at_outcome": {"attribute": "date_of_birth", "min": 16}}
        ),
        "$.cohorts[0].eligibility[1].age_at_outcome",
        "error",
        "use age_at_start here",
    ),
    (
        "an age at the outcome on an attribute that is not a date",
        lambda d: metric(d, 0).update(
            conditions=[{"age_at_outcome": {"attribute": "care_leaver", "min": 16}}]
        ),
        "$.metrics[0].conditions[0].age_at_outcome.attribute",
        "error",
        "age_at_outcome needs a date attribute",
    ),
    (
        "an age at the outcome with no bound",
        lambda d: metric(d, 0).update(
            conditions=[{"age_at_outcome": {"attribute": "date_of_birth"}}]
        ),
        "$.metrics[0].conditions[0].age_at_outcome",
        "error",
        "needs `min`, `max` or both",
    ),
    (
        "an age at the outcome with a key it does not know",
        lambda d: metric(d, 0).update(
            conditions=[{"age_at_outcome": {"attribute": "date_of_birth", "minimum": 16}}]
        ),
        "$.metrics[0].conditions[0].age_at_outcome.minimum",
        "error",
        "did you mean `min`",
    ),
    (
        "a tariff entry with both a price and prices by occurrence",
        lambda d: metric(d, 0)["tariff"][0].update(prices=["1000.00", "500.00"]),
        "$.metrics[0].tariff[0]",
        "error",
        "give exactly one",
    ),
    (
        "a tariff entry with neither a price nor prices",
        lambda d: metric(d, 0)["tariff"][0].pop("price"),
        "$.metrics[0].tariff[0]",
        "error",
        "either one `price` or `prices`",
    ),
    (
        "a cohort override entry with neither",
        lambda d: d["cohorts"][0].update(tariffs={"job_entry": [{"from": "2015-01-01"}]}),
        "$.cohorts[0].tariffs.job_entry[0]",
        "error",
        "either one `price` or `prices`",
    ),
    (
        "prices by occurrence with too many decimals",
        lambda d: (
            metric(d, 0)["tariff"][0].update(price=None, prices=["1.1234567"])
            or metric(d, 0)["tariff"][0].pop("price")
        ),
        "$.metrics[0].tariff[0].prices[0]",
        "error",
        "",
    ),
    (
        "prices by occurrence on a metric paid once",
        lambda d: (
            metric(d, 0)["tariff"][0].update(prices=["1000.00", "500.00"])
            or metric(d, 0)["tariff"][0].pop("price")
        ),
        "$.metrics[0].tariff[0].prices",
        "warning",
        "only the first of these prices can ever be paid",
    ),
    (
        "a spacing on a metric paid once",
        lambda d: metric(d, 0).update(min_spacing={"months": 3}),
        "$.metrics[0].min_spacing",
        "warning",
        "changes nothing",
    ),
    (
        "a spacing that is not a duration",
        lambda d: metric(d, 0).update(min_spacing={"quarters": 1}, max_per_participant=4),
        "$.metrics[0].min_spacing.quarters",
        "error",
        "unknown key `quarters`",
    ),
    (
        "an interruption naming an undeclared event",
        lambda d: with_event(d)["metrics"][1]["prerequisites"][0].update(
            interrupted_by=["evicton"]
        ),
        "$.metrics[1].prerequisites[0].interrupted_by[0]",
        "error",
        "unknown event `evicton` (did you mean `eviction`?)",
    ),
    (
        "an event with a metric's id",
        lambda d: d.setdefault("events", []).append({"id": "job_entry", "name": "Twice"}),
        "$.events[0].id",
        "error",
        "already used at $.metrics[0].id",
    ),
    (
        "a clock measured from a word it does not know",
        lambda d: metric(d, 1)["prerequisites"][0].update(measured_from="last"),
        "$.metrics[1].prerequisites[0].measured_from",
        "error",
        "did you mean `latest`",
    ),
    (
        "an example row naming an undeclared event",
        lambda d: example_row(with_event(d), metric="evicted"),
        "$.examples[0].evidence[2].metric",
        "error",
        "unknown metric or measure `evicted`",
    ),
    (
        "a price per unit of an undeclared measure",
        lambda d: metric(d, 0).update(per_unit={"measure": "care_dayz"}),
        "$.metrics[0].per_unit.measure",
        "error",
        "unknown measure `care_dayz`",
    ),
    (
        "a metric reached from a measure two ways",
        lambda d: metric(with_milestone(d), 2).update(per_unit={"measure": "earnings"}),
        "$.metrics[2]",
        "error",
        "in 2 ways (threshold, per_unit)",
    ),
    (
        "max_units with more decimals than its measure",
        lambda d: metric(with_milestone(d), 0).update(
            per_unit={"measure": "earnings", "max_units": "1.234"}
        ),
        "$.metrics[0].per_unit.max_units",
        "error",
        "has 3 decimals but the measure `earnings` allows 2",
    ),
    (
        "a per-unit metric with a limit per participant",
        lambda d: metric(with_milestone(d), 0).update(
            per_unit={"measure": "earnings"}, max_per_participant=3
        ),
        "$.metrics[0].max_per_participant",
        "error",
        "limit them with `max_units`",
    ),
    (
        "a scale running from high to low",
        lambda d: metric(with_milestone(d), 0).update(
            scale={"measure": "earnings", "lower": "6", "upper": "2"}
        ),
        "$.metrics[0].scale",
        "error",
        "lower 6 is not below upper 2",
    ),
    (
        "a scale with no upper end",
        lambda d: metric(with_milestone(d), 0).update(scale={"measure": "earnings", "lower": "6"}),
        "$.metrics[0].scale",
        "error",
        "missing `upper`",
    ),
    (
        "an example result comparing a relative effect with 0",
        lambda d: with_results(d, effect="relative"),
        "$.examples[0].results[0].comparison",
        "warning",
        "declare `effect: absolute`",
    ),
    (
        "an effect that is neither relative nor absolute",
        lambda d: with_results(d, effect="points"),
        "$.cohort_metrics[0].effect",
        "error",
        "one of: relative, absolute",
    ),
    (
        "results that are neither latest nor cumulative",
        lambda d: with_results(d, results="each"),
        "$.cohort_metrics[0].results",
        "error",
        "one of: latest, cumulative",
    ),
    (
        "an example's commitment for a party that is not a payer",
        lambda d: d["examples"][0].update(caps={"commitments": {"counsil": "100.00"}}),
        "$.examples[0].caps.commitments.counsil",
        "error",
        "unknown payer `counsil` (did you mean `council`?)",
    ),
    (
        "an example's caps for an unknown metric",
        lambda d: d["examples"][0].update(caps={"metrics": {"job_entri": {"count": 1}}}),
        "$.examples[0].caps.metrics.job_entri",
        "error",
        "unknown metric `job_entri`",
    ),
    (
        "an example's contract cap in fractions of a penny",
        lambda d: d["examples"][0].update(caps={"contract": "100.001"}),
        "$.examples[0].caps.contract",
        "error",
        "decimals",
    ),
    (
        "an example's caps with a key they do not know",
        lambda d: d["examples"][0].update(caps={"commitment": {"council": "1.00"}}),
        "$.examples[0].caps.commitment",
        "error",
        "did you mean `commitments`",
    ),
    (
        "a negative threshold (only evidence may correct with a negative quantity)",
        lambda d: metric(with_milestone(d), 2)["threshold"].update(quantity="-768"),
        "$.metrics[2].threshold.quantity",
        "error",
        "is not a quantity",
    ),
]


def test_an_example_row_may_carry_a_negative_quantity() -> None:
    doc = example_row(with_milestone(base()), metric="earnings", quantity="-12.50")
    assert [f for f in findings_of(doc) if f[1] == "error"] == []
    doc = example_row(with_milestone(base()), metric="earnings", quantity="-12.505")
    assert [f[0] for f in findings_of(doc) if f[1] == "error"] == [
        "$.examples[0].evidence[2].quantity"
    ]


def with_results(doc: Doc, **fields: str) -> Doc:
    doc["cohort_metrics"] = [
        {
            "id": "points",
            "name": "Points",
            "cohorts": ["cohort-1"],
            "direction": "higher_is_better",
            "rule": {"per_unit_above_threshold": {"threshold_percent": "5", "price": "1.00"}},
            **fields,
        }
    ]
    doc["examples"][0]["results"] = [
        {
            "result_id": "R1",
            "metric": "points",
            "cohort": "cohort-1",
            "observed": "6",
            "comparison": "0",
            "units": 10,
            "evaluated_on": "2016-06-30",
        }
    ]
    return doc


def test_an_absolute_effect_against_0_is_not_warned_about() -> None:
    doc = with_results(base(), effect="absolute", results="cumulative")
    assert [f for f in findings_of(doc) if "results" in f[0] or f[1] == "error"] == []


def with_event(doc: Doc) -> Doc:
    doc["events"] = [{"id": "eviction", "name": "Evicted"}]
    return doc


def test_an_example_may_name_an_event() -> None:
    doc = example_row(with_event(base()), metric="eviction")
    metric(doc, 1)["prerequisites"][0].update(measured_from="latest", interrupted_by=["eviction"])
    assert [f for f in findings_of(doc) if f[1] == "error"] == []


@pytest.mark.parametrize(
    ("mutate", "path", "severity", "phrase"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_each_mistake_is_found_at_its_path(
    mutate: Callable[[Doc], object], path: str, severity: str, phrase: str
) -> None:
    doc = base()
    mutate(doc)
    found = [(p, s, m) for p, s, m in findings_of(doc) if p == path]
    assert found, findings_of(doc)
    assert any(s == severity and phrase in m for _, s, m in found), found


def test_the_base_spec_is_clean() -> None:
    assert [f for f in findings_of(base()) if f[1] == "error"] == []
