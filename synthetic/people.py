"""Generated participants: cohort, provider, start date and the attributes a spec declares.

Every participant is eligible for its cohort unless asked otherwise: dates of birth give an age
at start inside the cohort's band, flags hold the value the rule wants, listed values come from
the rule's list. A requested share is made ineligible by breaking one of the cohort's rules (or,
for a cohort without rules, by starting after its enrolment window), so that upload and
enrolment error paths have something to refuse.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import numpy.typing as npt
import pandas as pd

from contract_specs.model import (
    AgeAtStart,
    Attribute,
    AttributeType,
    Cohort,
    ContractSpec,
    Flag,
    OneOf,
    Role,
    Rule,
)
from ledger.domain.entitlement.dates import day_number
from synthetic.dates import Days, add_years, month_number, month_start, to_datetime64
from synthetic.ids import numbered

Mask = npt.NDArray[np.bool_]
Index = npt.NDArray[np.int64]

# Age band used for a date attribute that no rule constrains (a plausible adult age).
DEFAULT_AGES = (18, 60)


@dataclass(frozen=True)
class People:
    """Participants as arrays (one entry each) plus the ready-made frame."""

    frame: pd.DataFrame
    cohort: Index  # position of the cohort in the spec
    provider: Index  # position in `providers`
    providers: tuple[str, ...]
    start: Days
    ineligible: Mask


def enrolment_window(spec: ContractSpec, cohort: Cohort) -> tuple[int, int]:
    """First and last start day a cohort accepts (cancellation and referrals close cut it)."""
    last = cohort.enrolment_to
    if cohort.cancelled_on is not None:
        last = min(last, cohort.cancelled_on - timedelta(days=1))
    if spec.contract.referrals_close is not None:
        last = min(last, spec.contract.referrals_close)
    return day_number(cohort.enrolment_from), day_number(last)


def spec_providers(spec: ContractSpec, extra: int = 0) -> tuple[str, ...]:
    """The spec's providers, plus `extra` made-up ones (for scale tests only)."""
    declared = tuple(p.id for p in spec.parties_with(Role.PROVIDER)) or ("provider",)
    made_up = tuple(f"{declared[0]}-extra-{n}" for n in range(1, extra + 1))
    return declared + made_up


def generate_people(
    spec: ContractSpec,
    count: int,
    rng: np.random.Generator,
    providers: Sequence[str],
    start_quarter_split: Sequence[float] | None = None,
    ineligible_share: float = 0.0,
) -> People:
    """`count` participants spread over the spec's cohorts and `providers`."""
    cohorts = spec.cohorts
    weights = np.array([c.capacity or 0 for c in cohorts], dtype=np.float64)
    if not weights.all():  # capacities only weigh the split when every cohort has one
        weights = np.ones(len(cohorts))
    cohort = rng.choice(len(cohorts), size=count, p=weights / weights.sum()).astype(np.int64)
    provider = rng.integers(0, len(providers), size=count, dtype=np.int64)
    start = np.zeros(count, dtype=np.int64)
    for position, spec_cohort in enumerate(cohorts):
        members = np.flatnonzero(cohort == position)
        first, last = enrolment_window(spec, spec_cohort)
        start[members] = _start_days(rng, first, last, members.size, start_quarter_split)
    ineligible = rng.random(count) < ineligible_share
    columns: dict[str, object] = {
        "participant_id": participant_ids(count),
        "cohort": pd.Categorical.from_codes(cohort, categories=[c.id for c in cohorts]),
        "provider": pd.Categorical.from_codes(provider, categories=list(providers)),
        "start_date": to_datetime64(start),
    }
    values = {a.name: _attribute_values(a, start, rng) for a in spec.attributes}
    for position, spec_cohort in enumerate(cohorts):
        members = np.flatnonzero(cohort == position)
        for rule in spec_cohort.eligibility:
            _satisfy(rule, values, start, members, rng)
        broken = members[ineligible[members]]
        if spec_cohort.eligibility:
            # each ineligible participant fails one of the cohort's rules, chosen at random
            which = rng.integers(0, len(spec_cohort.eligibility), size=broken.size)
            for number, rule in enumerate(spec_cohort.eligibility):
                _break(rule, spec, values, start, broken[which == number], rng)
        else:
            start[broken] = enrolment_window(spec, spec_cohort)[1] + rng.integers(
                1, 31, size=broken.size
            )
            columns["start_date"] = to_datetime64(start)
    for attribute in spec.attributes:
        columns[attribute.name] = _column(attribute, values[attribute.name])
    frame = pd.DataFrame(columns)
    return People(frame, cohort, provider, tuple(providers), start, ineligible)


def participant_ids(count: int) -> npt.NDArray[np.str_]:
    """Pseudonymous ids P0000001... wide enough for `count`, sorting as they count."""
    return numbered("P", np.arange(1, count + 1), max(6, len(str(count))))


def _start_days(
    rng: np.random.Generator,
    first: int,
    last: int,
    size: int,
    split: Sequence[float] | None,
) -> Days:
    """Start days in [first, last]: uniform, or by `split` weights over its quarters."""
    if not split:
        return rng.integers(first, last + 1, size=size, dtype=np.int64)
    month_first, month_last = month_number(np.array([first, last], dtype=np.int64)).tolist()
    quarters = np.arange(month_first - month_first % 3, month_last + 1, 3, dtype=np.int64)
    lows = np.maximum(month_start(quarters), first)
    highs = np.minimum(month_start(quarters + 3) - 1, last)
    weights = np.resize(np.asarray(split, dtype=np.float64), quarters.size)
    chosen = rng.choice(quarters.size, size=size, p=weights / weights.sum())
    return rng.integers(lows[chosen], highs[chosen] + 1, dtype=np.int64)


def _attribute_values(
    attribute: Attribute, start: Days, rng: np.random.Generator
) -> npt.NDArray[np.generic]:
    size = start.size
    if attribute.type is AttributeType.DATE:
        return birth_days(start, rng.integers(DEFAULT_AGES[0], DEFAULT_AGES[1] + 1, size), rng)
    if attribute.type is AttributeType.BOOLEAN:
        return rng.random(size) < 0.3
    if attribute.type is AttributeType.STRING:
        choices = np.array(attribute.values or ("unspecified",), dtype=object)
        return choices[rng.integers(0, choices.size, size)]
    if attribute.type is AttributeType.INTEGER:
        return rng.integers(0, 10, size)
    cents = rng.integers(0, 10_000, size)
    return np.array([f"{c // 100}.{c % 100:02d}" for c in cents.tolist()], dtype=object)


def birth_days(start: Days, ages: Index, rng: np.random.Generator) -> Days:
    """Dates of birth making each person exactly `ages` whole years old on `start`."""
    # Up to 364 days before the birthday that gives the age: never a whole year earlier.
    return add_years(start, -ages) - rng.integers(0, 365, size=start.size)


def _age_band(rule: AgeAtStart) -> tuple[int, int]:
    low = rule.min if rule.min is not None else (rule.max or 30) - 10
    high = rule.max if rule.max is not None else low + 20
    return low, high


def _satisfy(
    rule: Rule,
    values: dict[str, npt.NDArray[np.generic]],
    start: Days,
    members: Index,
    rng: np.random.Generator,
) -> None:
    if rule.attribute not in values:
        return  # a rule on an undeclared attribute is a spec error, not ours to repair
    column = values[rule.attribute]
    if isinstance(rule, AgeAtStart):
        low, high = _age_band(rule)
        ages = rng.integers(low, high + 1, size=members.size)
        column[members] = birth_days(start[members], ages, rng)
    elif isinstance(rule, Flag):
        column[members] = rule.value
    elif isinstance(rule, OneOf):
        choices = np.array(rule.values, dtype=object)
        column[members] = choices[rng.integers(0, choices.size, size=members.size)]


def _break(
    rule: Rule,
    spec: ContractSpec,
    values: dict[str, npt.NDArray[np.generic]],
    start: Days,
    members: Index,
    rng: np.random.Generator,
) -> None:
    if rule.attribute not in values or members.size == 0:
        return
    column = values[rule.attribute]
    if isinstance(rule, AgeAtStart):
        low, high = _age_band(rule)
        # too old when the band has a ceiling, else too young
        ages = (
            high + rng.integers(1, 4, size=members.size)
            if rule.max is not None
            else np.maximum(low - rng.integers(1, 4, size=members.size), 0)
        )
        column[members] = birth_days(start[members], ages, rng)
    elif isinstance(rule, Flag):
        column[members] = not rule.value
    elif isinstance(rule, OneOf):
        declared = next(a.values for a in spec.attributes if a.name == rule.attribute) or ()
        outside = [v for v in declared if v not in rule.values] or ["other"]
        column[members] = outside[0]


def _column(attribute: Attribute, values: npt.NDArray[np.generic]) -> object:
    if attribute.type is AttributeType.DATE:
        return to_datetime64(values.astype(np.int64))
    if attribute.type is AttributeType.BOOLEAN:
        return values.astype(bool)
    if attribute.type is AttributeType.INTEGER:
        return values.astype(np.int64)
    return pd.array(values, dtype="str")


def rule_holds(rule: Rule, frame: pd.DataFrame, start: Days) -> Mask:
    """Where a participant meets an eligibility rule or a metric condition."""
    if rule.attribute not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    column = frame[rule.attribute]
    if isinstance(rule, AgeAtStart):
        ages = whole_years(column.to_numpy("datetime64[D]").astype(np.int64), start)
        holds = np.ones(len(frame), dtype=bool)
        if rule.min is not None:
            holds &= ages >= rule.min
        if rule.max is not None:
            holds &= ages <= rule.max
        return holds
    if isinstance(rule, Flag):
        flags: Mask = column.to_numpy(bool) == rule.value
        return flags
    listed: Mask = column.isin(rule.values).to_numpy(bool)
    return listed


def whole_years(born: Days, on: Days) -> Index:
    """Age in whole years on `on` of someone born on `born`."""
    born_month, on_month = month_number(born), month_number(on)
    born_day, on_day = born - month_start(born_month), on - month_start(on_month)
    months = on_month - born_month - (on_day < born_day)
    return months // 12
