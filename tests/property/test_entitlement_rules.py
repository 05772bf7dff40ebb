"""The engine against the row-by-row reference on contracts built around one rule of issue 16
each (a condition at the outcome, repeated outcomes, a restarting clock, payments on a quantity,
cohort results over time). The general strategies reach these rules only now and then; here
every case exercises one, near its boundaries."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contract_specs.model import (
    AgeAtOutcome,
    ClockFrom,
    CohortMetric,
    ContractSpec,
    Dated,
    Direction,
    Duration,
    Effect,
    Event,
    Metric,
    MetricCaps,
    PersonScale,
    PerUnit,
    Prerequisite,
    Results,
    Schedule,
)
from ledger.domain.entitlement import compute_entitlement
from tests.property.strategies import (
    STATUSES,
    cohort_rules,
    day,
    durations,
    facts,
    prices,
    small_cap,
    specs,
)
from tests.property.test_entitlement_properties import (
    assert_caps_hold,
    engine_facts,
    engine_lines,
    reference_lines,
)
from tests.reference.specs import make_spec
from tests.reference.specs import prices as prices_of

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
Rows = tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]


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


def chain(
    draw: st.DrawFn,
    spec: ContractSpec,
    people: list[dict[str, Any]],
    evidence: list[dict[str, Any]],
) -> None:
    """Rows of one participant and metric a spacing apart, give or take a day: the boundary."""
    plain = [m for m in spec.metrics if m.threshold is None]
    if not plain:
        return
    metric = draw(st.sampled_from(plain))
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


EVENTS = (
    Event("abandonment", "Abandoned", evidence_types=("letter",)),
    Event("eviction", "Evicted"),
)


@st.composite
def clocks(draw: st.DrawFn) -> tuple[ContractSpec, Rows]:
    """An entry and a sustainment measured from the latest entry or from any, stopped by events
    or not; entries, claims and events a day either side of each other's boundaries."""
    names = [e.id for e in EVENTS]
    gap = draw(st.one_of(durations, st.builds(Duration, months=st.integers(1, 6))))
    prerequisite = Prerequisite(
        "entry",
        gap,
        draw(st.sampled_from(list(ClockFrom))),
        tuple(draw(st.lists(st.sampled_from(names), unique=True))),
    )
    spec = make_spec(
        [
            Metric("entry", "Entry", tariff=prices_of("100.00"), max_per_participant=3),
            Metric(
                "sustained",
                "Sustained",
                tariff=prices_of("250.00"),
                prerequisites=(prerequisite,),
                max_per_participant=draw(st.integers(1, 2)),
            ),
        ]
    )
    spec = replace(spec, events=EVENTS)
    people = [
        {"participant_id": f"P{i}", "cohort": "c1", "provider": "provider-a", "start_date": day(0)}
        for i in range(draw(st.integers(1, 3)))
    ]
    evidence: list[dict[str, Any]] = []

    def row(pid: str, metric: str, on: date, status: str = "verified") -> None:
        evidence.append(
            {
                "evidence_id": f"X{len(evidence):02d}",
                "participant_id": pid,
                "metric": metric,
                "achieved_on": on,
                "evidence_type": "letter",
                "status": status,
                "quantity": None,
                "submitted_on": None,
            }
        )

    jitter = st.sampled_from([-1, 0, 1])
    for person in people:
        pid = str(person["participant_id"])
        entries = sorted(
            day(d) for d in draw(st.lists(st.integers(0, 200), min_size=1, max_size=3))
        )
        for on in entries:
            row(pid, "entry", on, draw(st.sampled_from(["verified"] * 5 + ["rejected"])))
        for on in draw(st.lists(st.sampled_from(entries), min_size=1, max_size=3)):
            claimed = gap.after(on) + timedelta(days=draw(jitter))
            row(pid, "sustained", claimed)
            if draw(st.integers(0, 3)) == 0:  # a new entry on the day of the outcome, or near
                row(pid, "entry", claimed + timedelta(days=draw(jitter)))
        for _ in range(draw(st.integers(0, 3))):
            near = draw(st.sampled_from([e["achieved_on"] for e in evidence]))
            on = near + timedelta(days=draw(jitter))
            row(pid, draw(st.sampled_from(names)), on, draw(st.sampled_from(STATUSES)))
    return spec, (people, evidence, [])


@SETTINGS
@given(clocks())
def test_restarting_and_interrupted_clocks_are_judged_alike(
    case: tuple[ContractSpec, Rows],
) -> None:
    assert_same(*case)


@st.composite
def on_quantities(draw: st.DrawFn) -> tuple[ContractSpec, Rows]:
    """Metrics paid per unit of the measure (with or without max_units) or on a per-person
    scale, beside thresholds; measure rows with same-day corrections."""
    spec = draw(specs())
    decimals = spec.measures[0].decimals

    def quantity(low: int, high: int) -> Decimal:
        return Decimal(draw(st.integers(low, high))).scaleb(-decimals)

    def paid_on_quantity(metric: Metric) -> Metric:
        kind = draw(st.sampled_from(["per_unit", "per_unit", "scale", "as is"]))
        if kind == "per_unit":
            drawn = draw(st.one_of(st.none(), st.integers(0, 3000)))
            limit = None if drawn is None else Decimal(drawn).scaleb(-decimals)
            return replace(metric, threshold=None, per_unit=PerUnit("earn", limit))
        if kind == "scale":
            lower = quantity(-200, 1500)
            upper = lower + quantity(1, 1500)
            return replace(
                metric,
                threshold=None,
                max_per_participant=1,
                scale=PersonScale("earn", lower, upper),
            )
        return metric

    spec = replace(spec, metrics=tuple(paid_on_quantity(m) for m in spec.metrics))
    people, evidence, results = draw(facts(spec))
    for k, row in enumerate([r for r in evidence if r["quantity"] is not None]):
        if draw(st.integers(0, 2)) == 0:  # a correction of the same day
            fix = -row["quantity"] if draw(st.booleans()) else quantity(-300, 300)
            evidence.append({**row, "evidence_id": f"F{k}", "quantity": fix})
    # a scale whose end is some participant's total, give or take one minor unit
    starts = {p["participant_id"]: p["start_date"] for p in people}
    types = spec.measures[0].evidence_types
    totals: dict[str, Decimal] = {}
    for row in evidence:
        counted = (
            row["metric"] == "earn"
            and row["quantity"] is not None
            and row["status"] == "verified"
            and (not types or row["evidence_type"] in types)
            and row["participant_id"] in starts
            and row["achieved_on"] >= starts[row["participant_id"]]
            and (row["submitted_on"] is None or row["submitted_on"] >= row["achieved_on"])
        )
        if counted:
            totals[row["participant_id"]] = totals.get(row["participant_id"], 0) + row["quantity"]
    if totals:
        end = draw(st.sampled_from(sorted(totals.values()))) + draw(
            st.sampled_from([0, 0, 1, -1])
        ) * Decimal(1).scaleb(-decimals)

        def at_total(metric: Metric) -> Metric:
            if metric.scale is None:
                return metric
            if draw(st.booleans()):
                return replace(
                    metric, scale=PersonScale("earn", end, max(end, metric.scale.upper) + 1)
                )
            return replace(metric, scale=PersonScale("earn", min(end, metric.scale.lower) - 1, end))

        spec = replace(spec, metrics=tuple(at_total(m) for m in spec.metrics))
    return spec, (people, evidence, results)


@SETTINGS
@given(on_quantities())
def test_payments_on_a_quantity_are_paid_alike(case: tuple[ContractSpec, Rows]) -> None:
    assert_same(*case)


@st.composite
def results_over_time(draw: st.DrawFn) -> tuple[ContractSpec, Rows]:
    """Cohort metrics with absolute or relative effects, and series of cumulative results (a
    comparison of 0 among them), netted against a pooled metric or not."""
    spec = draw(specs())
    direction = draw(st.sampled_from(list(Direction)))
    per_cohort = CohortMetric(
        "per-cohort",
        "per cohort",
        ("c1", "c2"),
        direction,
        draw(cohort_rules),
        caps=MetricCaps(amount=draw(small_cap)),
        effect=draw(st.sampled_from(list(Effect))),
        results=draw(st.sampled_from([Results.CUMULATIVE, Results.CUMULATIVE, Results.LATEST])),
    )
    pooled = CohortMetric(
        "pooled",
        "pooled",
        ("c1", "c2"),
        direction,
        draw(cohort_rules),
        pooled=True,
        net_of=("per-cohort",),
        effect=draw(st.sampled_from(list(Effect))),
        results=draw(st.sampled_from(list(Results))),
    )
    spec = replace(spec, cohort_metrics=(per_cohort, pooled)[: draw(st.integers(1, 2))])
    people, evidence, _ = draw(facts(spec))
    results = []
    for measured in spec.cohort_metrics:
        for cohort in ["pool"] if measured.pooled else ["c1", "c2"]:
            for k in range(draw(st.integers(0, 4))):
                # up to 30 points: an absolute effect reaches the rules' bands (5 to 15)
                comparison = draw(st.one_of(st.just(0), st.integers(0, 3000)))
                results.append(
                    {
                        "result_id": f"R{measured.id}{cohort}{k}",
                        "metric": measured.id,
                        "cohort": cohort,
                        "observed": str(Decimal(draw(st.integers(0, 3000))).scaleb(-2)),
                        "comparison": str(Decimal(comparison).scaleb(-2)),
                        "units": draw(st.integers(0, 1000)),
                        "evaluated_on": day(draw(st.sampled_from([100, 200, 200, 300]))),
                        "reference": "",
                    }
                )
    return spec, (people, evidence, results)


@SETTINGS
@given(results_over_time())
def test_cohort_results_over_time_are_paid_alike(case: tuple[ContractSpec, Rows]) -> None:
    assert_same(*case)
