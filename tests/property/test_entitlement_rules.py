"""The engine against the row-by-row reference on contracts built around one rule of issue 16
each (a condition at the outcome, repeated outcomes, a restarting clock, payments on a quantity,
cohort results over time). The general strategies reach these rules only now and then; here
every case exercises one, near its boundaries."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contract_specs.model import AgeAtOutcome, ContractSpec, Dated, Duration, Metric, Schedule
from ledger.domain.entitlement import compute_entitlement
from tests.property.strategies import day, durations, facts, prices, specs
from tests.property.test_entitlement_properties import (
    assert_caps_hold,
    engine_facts,
    engine_lines,
    reference_lines,
)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
Rows = tuple[list[dict], list[dict], list[dict]]


def assert_same(spec: ContractSpec, rows: Rows) -> None:
    entitlement = compute_entitlement(spec, engine_facts(spec, rows))
    expected_lines, expected_not_payable = reference_lines(spec, rows)
    assert engine_lines(entitlement) == expected_lines
    assert_caps_hold(spec, entitlement.lines)
    found = dict(
        zip(entitlement.not_payable.evidence_id, entitlement.not_payable.reason, strict=True)
    )
    assert found == expected_not_payable


@st.composite
def ages_at_outcome(draw: st.DrawFn) -> tuple[ContractSpec, Rows]:
    """Every metric judged on the age at its outcome; birthdays between start and outcome."""
    spec = draw(specs())
    bound = draw(st.integers(15, 18))
    rule = draw(
        st.sampled_from(
            [
                AgeAtOutcome("date_of_birth", min=bound),
                AgeAtOutcome("date_of_birth", max=bound),
                AgeAtOutcome("date_of_birth", min=bound - 1, max=bound),
            ]
        )
    )
    spec = replace(spec, metrics=tuple(replace(m, conditions=(rule,)) for m in spec.metrics))
    people, evidence, results = draw(facts(spec))
    for person in people:
        birthday = person["start_date"] + timedelta(days=draw(st.integers(-20, 320)))
        years = draw(st.sampled_from([bound, bound + 1]))
        born = date(birthday.year - years, birthday.month, min(birthday.day, 28))
        person["date_of_birth"] = draw(st.sampled_from([born, born, None, day(-6000)]))
    return spec, (people, evidence, results)


@SETTINGS
@given(ages_at_outcome())
def test_an_age_at_the_outcome_is_judged_alike(case: tuple[ContractSpec, Rows]) -> None:
    assert_same(*case)


@st.composite
def repeated(draw: st.DrawFn, metric: Metric) -> Metric:
    """The metric paid more than once, spaced or not, priced by occurrence or not."""
    by_occurrence = None
    if draw(st.booleans()):
        by_occurrence = Schedule(
            tuple(
                Dated(e.from_, (e.value, *draw(st.lists(prices, min_size=1, max_size=3))))
                for e in metric.tariff.entries
            )
        )
    spacing = draw(st.one_of(st.none(), durations, st.builds(Duration, days=st.integers(1, 60))))
    return replace(
        metric,
        max_per_participant=draw(st.integers(2, 5)),
        min_spacing=spacing,
        tariff_by_occurrence=by_occurrence,
    )


def chain(draw: st.DrawFn, spec: ContractSpec, people: list[dict], evidence: list[dict]) -> None:
    """Rows of one participant and metric a spacing apart, give or take a day: the boundary."""
    metric = draw(st.sampled_from([m for m in spec.metrics if m.threshold is None] or [None]))
    if metric is None:
        return
    who = draw(st.sampled_from(people))
    spacing = metric.min_spacing or Duration(days=draw(st.integers(1, 40)))
    on = who["start_date"] + timedelta(days=draw(st.integers(0, 20)))
    for k in range(draw(st.integers(2, 6))):
        jitter = draw(st.sampled_from([-1, 0, 0, 1]))
        evidence.append(
            {
                "evidence_id": f"C{k}",
                "participant_id": who["participant_id"],
                "metric": metric.id,
                "achieved_on": on + timedelta(days=jitter),
                "evidence_type": "letter",
                "status": "verified",
                "quantity": None,
                "submitted_on": None,
            }
        )
        on = spacing.after(on + timedelta(days=jitter))


@st.composite
def repeated_outcomes(draw: st.DrawFn) -> tuple[ContractSpec, Rows]:
    spec = draw(specs())
    spec = replace(spec, metrics=tuple(draw(repeated(m)) for m in spec.metrics))
    people, evidence, results = draw(facts(spec))
    chain(draw, spec, people, evidence)
    return spec, (people, evidence, results)


@SETTINGS
@given(repeated_outcomes())
def test_spacing_and_prices_by_occurrence_are_paid_alike(case: tuple[ContractSpec, Rows]) -> None:
    assert_same(*case)
