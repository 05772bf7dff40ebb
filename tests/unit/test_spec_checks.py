"""Each semantic check, table-driven: one mistake in an otherwise valid spec -> its finding."""

from __future__ import annotations

import copy
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


def add_cohort_metric(doc: Doc, **fields: Any) -> Doc:
    doc.setdefault("cohort_metrics", []).append(
        {
            "id": "effect",
            "name": "Effect",
            "cohorts": ["cohort-1"],
            "direction": "lower_is_better",
            **fields,
        }
    )
    return doc


def add_measure(doc: Doc, decimals: int = 2) -> Doc:
    doc["measures"] = [{"id": "earnings", "name": "Earnings", "unit": "GBP", "decimals": decimals}]
    return doc


CASES: list[tuple[str, Callable[[Doc], object], str, str]] = [
    # (name, mutation, JSON path of the finding, a phrase its message must contain)
    (
        "unknown metric in a prerequisite",
        lambda d: metric(d, 1)["prerequisites"][0].update(metric="job_entri"),
        "$.metrics[1].prerequisites[0].metric",
        "did you mean `job_entry`",
    ),
    (
        "unknown metric in a cohort tariff override",
        lambda d: d["cohorts"][0].update(tariffs={"nope": [{"from": "2015-01-01", "price": "1"}]}),
        "$.cohorts[0].tariffs.nope",
        "unknown metric `nope`",
    ),
    (
        "unknown measure in a threshold",
        lambda d: metric(d, 0).update(threshold={"measure": "earnings", "quantity": "768"}),
        "$.metrics[0].threshold.measure",
        "unknown measure `earnings`",
    ),
    (
        "unknown cohort in cohort targets",
        lambda d: metric(d, 0).update(cohort_targets={"cohort-2": 10}),
        "$.metrics[0].cohort_targets['cohort-2']",
        "unknown cohort `cohort-2`",
    ),
    (
        "unknown payer in payer shares",
        lambda d: d["payer_shares"][0].update(shares={"council": "80", "dwp": "20"}),
        "$.payer_shares[0].shares.dwp",
        "unknown payer `dwp`",
    ),
    (
        "a party with a share that is not a payer",
        lambda d: d["payers"].pop(),
        "$.payer_shares[0].shares['top-up']",
        "add `{party: top-up}` under `payers`",
    ),
    (
        "a payer that is not a party",
        lambda d: d["payers"].append({"party": "lottery"}),
        "$.payers[2].party",
        "unknown party `lottery`",
    ),
    (
        "a payer that is a provider, not a commissioner",
        lambda d: d["payers"].append({"party": "provider-a"}),
        "$.payers[2].party",
        "role provider",
    ),
    (
        "unknown cohort in a cohort metric",
        lambda d: add_cohort_metric(
            d,
            cohorts=["cohort-9"],
            rule={"per_unit_above_threshold": {"threshold_percent": "10", "price": "1.00"}},
        ),
        "$.cohort_metrics[0].cohorts[0]",
        "unknown cohort `cohort-9`",
    ),
    (
        "unknown cohort metric in net_of",
        lambda d: add_cohort_metric(
            d,
            net_of=["other"],
            rule={"per_unit_above_threshold": {"threshold_percent": "10", "price": "1.00"}},
        ),
        "$.cohort_metrics[0].net_of[0]",
        "unknown cohort metric `other`",
    ),
    (
        "unknown attribute in eligibility",
        lambda d: d["cohorts"][0]["eligibility"].append({"flag": {"attribute": "homeless"}}),
        "$.cohorts[0].eligibility[1].flag.attribute",
        "unknown attribute `homeless`",
    ),
    (
        "a prerequisite cycle through itself",
        lambda d: metric(d, 0).update(prerequisites=[{"metric": "job_entry"}]),
        "$.metrics[0].prerequisites[0].metric",
        "cycle: job_entry -> job_entry",
    ),
    (
        "payer shares summing to 110",
        lambda d: d["payer_shares"][0].update(shares={"council": "90", "top-up": "20"}),
        "$.payer_shares[0].shares",
        "add up to 110, not 100",
    ),
    (
        "a metric's own shares summing to 99.5",
        lambda d: metric(d, 0).update(
            payer_shares=[{"from": "2015-01-01", "shares": {"council": "99.5"}}]
        ),
        "$.metrics[0].payer_shares[0].shares",
        "add up to 99.5",
    ),
    (
        "a tariff out of date order",
        lambda d: metric(d, 0)["tariff"].extend(
            [{"from": "2016-04-01", "price": "2"}, {"from": "2016-01-01", "price": "3"}]
        ),
        "$.metrics[0].tariff[2].from",
        "comes after 2016-04-01",
    ),
    (
        "payer shares with a duplicate date",
        lambda d: d["payer_shares"].append(copy.deepcopy(d["payer_shares"][0])),
        "$.payer_shares[1].from",
        "already starts entry $.payer_shares[0]",
    ),
    (
        "a cohort tariff override with a duplicate date",
        lambda d: d["cohorts"][0].update(
            tariffs={"job_entry": [{"from": "2015-01-01", "price": "1"}] * 2}
        ),
        "$.cohorts[0].tariffs.job_entry[1].from",
        "keep one entry per date",
    ),
    (
        "tiers not strictly increasing",
        lambda d: add_cohort_metric(
            d,
            rule={
                "tiers": [
                    {"min_effect_percent": "10", "payment": "100.00"},
                    {"min_effect_percent": "10", "payment": "200.00"},
                ]
            },
        ),
        "$.cohort_metrics[0].rule.tiers[1].min_effect_percent",
        "strictly increasing",
    ),
    (
        "a tier with both a payment and a price",
        lambda d: add_cohort_metric(
            d, rule={"tiers": [{"min_effect_percent": "5", "payment": "1.00", "price": "1"}]}
        ),
        "$.cohort_metrics[0].rule.tiers[0]",
        "exactly one of them",
    ),
    (
        "a sliding scale with lower equal to upper",
        lambda d: add_cohort_metric(
            d,
            rule={
                "sliding_scale": {"lower_percent": "15", "upper_percent": "15", "maximum": "1.00"}
            },
        ),
        "$.cohort_metrics[0].rule.sliding_scale",
        "lower_percent 15 is not below upper_percent 15",
    ),
    (
        "enrolment opening before the service starts",
        lambda d: d["cohorts"][0]["enrolment"].update({"from": "2014-12-31"}),
        "$.cohorts[0].enrolment.from",
        "before service_start 2015-01-01",
    ),
    (
        "enrolment closing after referrals close",
        lambda d: d["cohorts"][0]["enrolment"].update({"to": "2016-01-01"}),
        "$.cohorts[0].enrolment.to",
        "after the contract's referrals_close 2015-12-31",
    ),
    (
        "enrolment closing after the last outcome date when referrals_close is absent",
        lambda d: (
            d["contract"].pop("referrals_close"),
            d["cohorts"][0]["enrolment"].update({"to": "2018-01-01"}),
        ),
        "$.cohorts[0].enrolment.to",
        "last_outcome_date 2017-12-31",
    ),
    (
        "referrals closing after the last outcome date",
        lambda d: d["contract"].update(referrals_close="2018-01-01"),
        "$.contract.referrals_close",
        "after last_outcome_date 2017-12-31",
    ),
    (
        "a cap with more decimals than the currency",
        lambda d: d["caps"].update(per_participant="3000.005"),
        "$.caps.per_participant",
        "3 decimals but GBP allows 2",
    ),
    (
        "a commitment in yen with decimals",
        lambda d: (d["contract"].update(currency="JPY"), d["payers"][0].update(commitment="5.5")),
        "$.payers[0].commitment",
        "JPY has none",
    ),
    (
        "a tier payment with more decimals than the currency",
        lambda d: add_cohort_metric(
            d, rule={"tiers": [{"min_effect_percent": "5", "payment": "10.001"}]}
        ),
        "$.cohort_metrics[0].rule.tiers[0].payment",
        "round it to 2 decimals",
    ),
    (
        "a threshold with more decimals than its measure",
        lambda d: (
            add_measure(d, decimals=0),
            metric(d, 0).update(threshold={"measure": "earnings", "quantity": "767.5"}),
        ),
        "$.metrics[0].threshold.quantity",
        "the measure `earnings` has none",
    ),
    (
        "an age rule on a boolean attribute",
        lambda d: d["cohorts"][0]["eligibility"].append(
            {"age_at_start": {"attribute": "care_leaver", "min": 16}}
        ),
        "$.cohorts[0].eligibility[1].age_at_start.attribute",
        "needs a date attribute",
    ),
    (
        "a flag rule on a date attribute",
        lambda d: metric(d, 0).update(conditions=[{"flag": {"attribute": "date_of_birth"}}]),
        "$.metrics[0].conditions[0].flag.attribute",
        "needs a boolean attribute",
    ),
    (
        "one_of with a value the attribute does not declare",
        lambda d: (
            d["attributes"].update(region={"type": "string", "values": ["north", "south"]}),
            metric(d, 0).update(
                conditions=[{"one_of": {"attribute": "region", "values": ["north", "east"]}}]
            ),
        ),
        "$.metrics[0].conditions[0].one_of.values[1]",
        "`east` is not a declared value of `region`",
    ),
    (
        "a duplicate metric id",
        lambda d: metric(d, 1).update(id="job_entry", prerequisites=[]),
        "$.metrics[1].id",
        "already used at $.metrics[0].id",
    ),
    (
        "a measure with the id of a metric",
        lambda d: (add_measure(d), d["measures"][0].update(id="job_entry")),
        "$.measures[0].id",
        "metric, measure or event id `job_entry` is already used",
    ),
    (
        "a duplicate party id",
        lambda d: d["parties"].append({"id": "council", "role": "investor", "name": "x"}),
        "$.parties[3].id",
        "already used",
    ),
    (
        "a cohort called pool",
        lambda d: d["cohorts"][0].update(id="pool"),
        "$.cohorts[0].id",
        "reserved",
    ),
    (
        "an unknown cohort in an example",
        lambda d: d["examples"][0]["participants"][0].update(cohort="cohort-2"),
        "$.examples[0].participants[0].cohort",
        "unknown cohort `cohort-2`",
    ),
    (
        "an unknown metric in an example's evidence",
        lambda d: d["examples"][0]["evidence"][0].update(metric="job_exit"),
        "$.examples[0].evidence[0].metric",
        "unknown metric or measure `job_exit`",
    ),
    (
        "an unknown payer in an expected line",
        lambda d: d["examples"][0]["expect"]["lines"][0].update(payer="dwp"),
        "$.examples[0].expect.lines[0].payer",
        "unknown payer `dwp`",
    ),
    (
        "an example column that is not an attribute",
        lambda d: d["examples"][0]["participants"][0].update(name="Jo"),
        "$.examples[0].participants[0].name",
        "unknown attribute `name`",
    ),
    (
        "an example missing a required attribute",
        lambda d: d["examples"][0]["participants"][0].pop("date_of_birth"),
        "$.examples[0].participants[0]",
        "missing the required attribute `date_of_birth`",
    ),
    (
        "an expected amount with too many decimals",
        lambda d: d["examples"][0]["expect"]["totals"].update(council="2400.001"),
        "$.examples[0].expect.totals.council",
        "3 decimals",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "path", "phrase"),
    [pytest.param(m, p, phrase, id=name) for name, m, p, phrase in CASES],
)
def test_a_mistake_is_reported_at_its_place(
    mutate: Callable[[Doc], object], path: str, phrase: str
) -> None:
    doc = base()
    mutate(doc)
    errors = [(p, m) for p, severity, m in findings_of(doc) if severity == "error"]
    assert any(p == path and phrase in m for p, m in errors), errors


def test_the_base_spec_has_no_finding() -> None:
    assert findings_of(base()) == []


WARNINGS: list[tuple[str, Callable[[Doc], object], str, str]] = [
    (
        "a per-participant cap below one price",
        lambda d: d["caps"].update(per_participant="1500.00"),
        "$.caps.per_participant",
        "below the price of job_sustained_13w (2000.00)",
    ),
    (
        "a metric amount cap below its price",
        lambda d: metric(d, 0).update(caps={"amount": "999.99"}),
        "$.metrics[0].caps.amount",
        "below its price 1000.00",
    ),
    (
        "a cohort tariff override above the contract cap",
        lambda d: (
            d["caps"].update(contract="2500.00"),
            d["cohorts"][0].update(
                tariffs={"job_entry": [{"from": "2015-01-01", "price": "2600"}]}
            ),
        ),
        "$.caps.contract",
        "job_entry (2600)",
    ),
    (
        "payer shares starting after the service starts",
        lambda d: d["payer_shares"][0].update({"from": "2015-02-01"}),
        "$.payer_shares",
        "no payer shares cover `job_entry` from service_start 2015-01-01 until 2015-02-01",
    ),
    (
        "a metric's own shares starting late",
        lambda d: metric(d, 1).update(
            payer_shares=[{"from": "2016-01-01", "shares": {"council": "100"}}]
        ),
        "$.metrics[1].payer_shares",
        "`job_sustained_13w` from service_start",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "path", "phrase"),
    [pytest.param(m, p, phrase, id=name) for name, m, p, phrase in WARNINGS],
)
def test_a_doubtful_spec_gets_a_warning_but_stays_valid(
    mutate: Callable[[Doc], object], path: str, phrase: str
) -> None:
    doc = base()
    mutate(doc)
    checked = check_spec_text(json.dumps(doc), "spec.json")
    assert checked.spec is not None, checked.errors
    assert any(f.path == path and phrase in f.message for f in checked.warnings), checked.findings


def test_a_cap_exactly_at_the_price_is_not_a_warning() -> None:
    doc = base()
    metric(doc, 0)["caps"] = {"amount": "1000.00"}
    assert findings_of(doc) == []


def test_a_longer_cycle_is_named_in_full_once() -> None:
    doc = base()
    doc["metrics"].append(
        {
            "id": "job_sustained_26w",
            "name": "26 weeks",
            "prerequisites": [{"metric": "job_sustained_13w"}],
            "tariff": [{"from": "2015-01-01", "price": "1.00"}],
        }
    )
    metric(doc, 0)["prerequisites"] = [{"metric": "job_sustained_26w"}]
    cycles = [m for _, _, m in findings_of(doc) if "cycle" in m]
    assert len(cycles) == 1
    assert "job_entry -> job_sustained_26w -> job_sustained_13w -> job_entry" in cycles[0]


def test_checks_still_run_where_the_schema_fails_elsewhere() -> None:
    doc = base()
    doc["contract"]["currency"] = "GPB"  # a schema error
    doc["payer_shares"][0]["shares"]["council"] = "70"  # a semantic error elsewhere
    paths = {p for p, _, _ in findings_of(doc)}
    assert {"$.contract.currency", "$.payer_shares[0].shares"} <= paths
