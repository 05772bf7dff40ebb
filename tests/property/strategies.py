"""Hypothesis strategies: small random contracts (metrics, prerequisites, windows, limits,
thresholds, dated tariffs and shares, caps of every kind, tiny ones included) and random facts."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from contract_specs.model import (
    AgeAtOutcome,
    AgeAtStart,
    Attribute,
    AttributeType,
    Cohort,
    CohortMetric,
    ContractCaps,
    ContractSpec,
    Direction,
    Duration,
    Flag,
    Measure,
    Metric,
    MetricCaps,
    OneOf,
    Payer,
    PerUnitAboveThreshold,
    Prerequisite,
    SlidingScale,
    Threshold,
    Tier,
    Tiers,
    Verification,
)
from tests.reference.specs import START, make_spec, schedule

PAYERS = ("p1", "p2", "p3")
TYPES = ("letter", "letter", "letter", "record", "")
STATUSES = ("verified",) * 7 + ("pending", "rejected", "revoked")


def day(offset: int) -> date:
    return START + timedelta(days=offset)


days = st.integers(min_value=0, max_value=500).map(day)
money = st.integers(min_value=0, max_value=60000).map(lambda c: Decimal(c).scaleb(-2))
# prices may carry a third decimal, which the engine rounds half-up
prices = st.integers(min_value=0, max_value=600000).map(lambda c: Decimal(c).scaleb(-3))
small_cap = st.one_of(
    st.none(),
    st.none(),
    money,
    st.integers(0, 200000).map(lambda c: Decimal(c).scaleb(-2)),
    st.integers(0, 3).map(lambda c: Decimal(c)),
)
durations = st.builds(
    Duration,
    days=st.integers(0, 40),
    weeks=st.integers(0, 3),
    months=st.integers(0, 4),
)


@st.composite
def dated(draw: st.DrawFn, values: st.SearchStrategy[Any]) -> Any:
    """A schedule, usually from START; sometimes starting later, so some days have no entry."""
    count = draw(st.integers(1, 3))
    starts = sorted(draw(st.sets(st.integers(1, 400), min_size=count, max_size=count)))
    if draw(st.integers(0, 4)) > 0:
        starts[0] = 0
    return schedule(*((day(s), draw(values)) for s in starts))


@st.composite
def share_maps(draw: st.DrawFn, payers: tuple[str, ...]) -> dict[str, Decimal]:
    # cut 100.00% into len(payers) parts (some may be zero), hundredths of a percent
    cuts = sorted(
        draw(st.lists(st.integers(0, 10000), min_size=len(payers) - 1, max_size=len(payers) - 1))
    )
    bounds = [0, *cuts, 10000]
    return {p: Decimal(bounds[i + 1] - bounds[i]).scaleb(-2) for i, p in enumerate(payers)}


rules = st.one_of(
    st.builds(Flag, attribute=st.just("care_leaver"), value=st.booleans()),
    st.builds(
        AgeAtStart,
        attribute=st.just("date_of_birth"),
        min=st.one_of(st.none(), st.integers(14, 20)),
        max=st.one_of(st.none(), st.integers(18, 25)),
    ),
    st.builds(
        OneOf, attribute=st.just("region"), values=st.sampled_from([("north",), ("north", "south")])
    ),
    # judged on the outcome's day: birthdays fall between start and outcome
    st.builds(
        AgeAtOutcome,
        attribute=st.just("date_of_birth"),
        min=st.one_of(st.none(), st.integers(14, 20)),
        max=st.one_of(st.none(), st.integers(18, 25)),
    ),
)


@st.composite
def metric_list(
    draw: st.DrawFn, payers: tuple[str, ...], decimals: int, simple: bool
) -> list[Metric]:
    count = draw(st.integers(1, 4))
    metrics: list[Metric] = []
    for i in range(count):
        earlier = [m.id for m in metrics]
        prerequisites: tuple[Prerequisite, ...] = ()
        chosen: list[str] = []
        if earlier:
            chosen = draw(st.lists(st.sampled_from(earlier), max_size=2, unique=True))
        if chosen:
            prerequisites = tuple(
                Prerequisite(c, draw(st.one_of(st.just(Duration()), durations))) for c in chosen
            )
        threshold = None
        if draw(st.integers(0, 3)) == 0:
            quantity = Decimal(draw(st.integers(0, 3000))).scaleb(-decimals)
            threshold = Threshold("earn", quantity)
        metrics.append(
            Metric(
                id=f"m{i}",
                name=f"metric {i}",
                tariff=draw(dated(prices)),
                evidence_types=() if simple else draw(st.sampled_from([(), ("letter",)])),
                window=None if simple else draw(st.one_of(st.none(), durations)),
                conditions=() if simple else tuple(draw(st.lists(rules, max_size=2))),
                prerequisites=prerequisites,
                max_per_participant=draw(st.integers(1, 3)),
                threshold=threshold,
                verification=draw(st.sampled_from(list(Verification))),
                caps=MetricCaps(
                    count=draw(st.one_of(st.none(), st.integers(0, 4))), amount=draw(small_cap)
                ),
                payer_shares=draw(st.one_of(st.none(), dated(share_maps(payers)))),
            )
        )
    return metrics


cohort_rules = st.one_of(
    st.builds(
        PerUnitAboveThreshold,
        threshold_percent=st.sampled_from([Decimal("7.5"), Decimal(10), Decimal(0)]),
        price=prices,
    ),
    st.builds(
        Tiers,
        bands=st.just(
            (Tier(Decimal(5), payment=Decimal("100.00")), Tier(Decimal(10), price=Decimal("2.505")))
        ),
    ),
    st.builds(
        SlidingScale,
        lower_percent=st.just(Decimal(5)),
        upper_percent=st.just(Decimal(15)),
        maximum=money,
    ),
)


@st.composite
def specs(draw: st.DrawFn) -> ContractSpec:
    """A random spec; half of them simple (no windows, types or conditions) so that many
    occurrences reach the caps."""
    simple = draw(st.booleans())
    payers = PAYERS[: draw(st.integers(1, 3))]
    decimals = draw(st.integers(0, 2))
    cohort_metrics: list[CohortMetric] = []
    if draw(st.booleans()):
        cohort_metrics.append(
            CohortMetric(
                "per-cohort",
                "per cohort",
                ("c1", "c2"),
                draw(st.sampled_from(list(Direction))),
                draw(cohort_rules),
                caps=MetricCaps(amount=draw(small_cap)),
            )
        )
        if draw(st.booleans()):
            cohort_metrics.append(
                CohortMetric(
                    "pooled",
                    "pooled",
                    ("c1", "c2"),
                    cohort_metrics[0].direction,
                    draw(cohort_rules),
                    pooled=True,
                    net_of=("per-cohort",),
                )
            )
    return make_spec(
        draw(metric_list(payers, decimals, simple)),
        payers=tuple(Payer(p, draw(small_cap)) for p in payers),
        payer_shares=draw(dated(share_maps(payers))),
        cohorts=(
            Cohort("c1", "Cohort 1", START, date(2016, 12, 31)),
            Cohort(
                "c2", "Cohort 2", START, date(2016, 12, 31), tariffs={"m0": draw(dated(prices))}
            ),
        ),
        measures=(
            Measure(
                "earn",
                "Earnings",
                "GBP",
                decimals=decimals,
                evidence_types=draw(st.sampled_from([(), ("record",)])),
                verification=draw(st.sampled_from(list(Verification))),
            ),
        ),
        cohort_metrics=cohort_metrics,
        caps=ContractCaps(per_participant=draw(small_cap), contract=draw(small_cap)),
        last_outcome_date=draw(st.one_of(st.none(), st.integers(100, 500).map(day))),
        attributes=(
            Attribute("date_of_birth", AttributeType.DATE, required=False),
            Attribute("care_leaver", AttributeType.BOOLEAN, required=False),
            Attribute("region", AttributeType.STRING, required=False),
        ),
    )


@st.composite
def facts(
    draw: st.DrawFn, spec: ContractSpec
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Typed rows: participants, evidence (quantity a Decimal in the measure's unit), results."""
    people = []
    for i in range(draw(st.integers(1, 4))):
        people.append(
            {
                "participant_id": f"P{i}",
                "cohort": draw(st.sampled_from(["c1", "c2"])),
                "provider": "provider-a",
                "start_date": draw(st.integers(0, 120).map(day)),
                # birthdays that often fall between the start and an outcome, so that an age
                # judged at the outcome differs from the age at start
                "date_of_birth": draw(
                    st.one_of(
                        st.none(),
                        st.integers(-9500, -4500).map(day),
                        st.builds(
                            lambda years, offset: day(offset - round(365.25 * years)),
                            st.integers(14, 25),
                            st.integers(-30, 400),
                        ),
                    )
                ),
                "care_leaver": draw(st.one_of(st.none(), st.booleans())),
                "region": draw(st.one_of(st.none(), st.sampled_from(["north", "south"]))),
            }
        )
    ids = [p["participant_id"] for p in people] * 4 + ["PX"]
    names = [m.id for m in spec.metrics] * 3 + ["earn", "earn", "earn", "nope"]
    decimals = spec.measures[0].decimals
    evidence = []
    for i in range(draw(st.integers(0, 25))):
        metric = draw(st.sampled_from(names))
        quantity = None
        if metric == "earn" and draw(st.integers(0, 9)) > 0:
            quantity = Decimal(draw(st.integers(-100, 1500))).scaleb(-decimals)
        achieved = draw(st.integers(-10, 300))
        # usually submitted on or after the day achieved, sometimes before it (a claim about
        # the future), sometimes not known (rows written by hand)
        lag = draw(st.one_of(st.none(), st.integers(0, 60), st.integers(-5, 0)))
        evidence.append(
            {
                "evidence_id": f"E{i:02d}",
                "participant_id": draw(st.sampled_from(ids)),
                "metric": metric,
                "achieved_on": day(achieved),
                "evidence_type": draw(st.sampled_from(TYPES)),
                "status": draw(st.sampled_from(STATUSES)),
                "quantity": quantity,
                "submitted_on": None if lag is None else day(achieved + lag),
            }
        )
    results = []
    for i, measured in enumerate(spec.cohort_metrics):
        cohorts = ["pool"] if measured.pooled else ["c1", "c2"]
        for cohort in cohorts:
            for k in range(draw(st.integers(0, 2))):
                results.append(
                    {
                        "result_id": f"R{i}{cohort}{k}",
                        "metric": measured.id,
                        "cohort": cohort,
                        "observed": str(Decimal(draw(st.integers(0, 300))).scaleb(-2)),
                        "comparison": str(Decimal(draw(st.integers(0, 300))).scaleb(-2)),
                        "units": draw(st.integers(0, 1000)),
                        "evaluated_on": draw(days),
                        "reference": "",
                    }
                )
    return people, evidence, results
