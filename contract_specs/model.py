"""Typed, immutable objects for a contract spec.

These are the words of the contract (cohort, metric, tariff, cap, payer...) as plain frozen
dataclasses. They hold no I/O and no validation: `contract_specs.loader` builds them only from a
document that has passed the JSON Schema and the semantic checks, so every field here can be
trusted by the engine.

Money in a spec is a `Decimal` in the contract's currency (prices may carry more decimals than
the currency; caps and payments may not). Effects and shares are percentages as `Decimal`.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Generic, TypeVar

T = TypeVar("T")

# ISO 4217 minor units for the currencies outcomes contracts are written in. A currency not
# listed here is refused by the schema, so the exponent is always known.
CURRENCY_EXPONENTS: Mapping[str, int] = {
    "GBP": 2,
    "EUR": 2,
    "USD": 2,
    "AUD": 2,
    "CAD": 2,
    "NZD": 2,
    "CHF": 2,
    "SEK": 2,
    "NOK": 2,
    "DKK": 2,
    "ZAR": 2,
    "INR": 2,
    "ILS": 2,
    "PTE": 0,
    "JPY": 0,
    "KRW": 0,
    "CLP": 0,
    "COP": 2,
    "PEN": 2,
    "MXN": 2,
    "BRL": 2,
    "KES": 2,
    "UGX": 0,
}


class Role(StrEnum):
    COMMISSIONER = "commissioner"
    INVESTOR = "investor"
    PROVIDER = "provider"
    INTERMEDIARY = "intermediary"
    EVALUATOR = "evaluator"


class Frequency(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


class Verification(StrEnum):
    REQUIRED = "required"
    AUTOMATIC = "automatic"


class Direction(StrEnum):
    LOWER_IS_BETTER = "lower_is_better"
    HIGHER_IS_BETTER = "higher_is_better"


class AttributeType(StrEnum):
    DATE = "date"
    BOOLEAN = "boolean"
    STRING = "string"
    INTEGER = "integer"
    DECIMAL = "decimal"


def add_months(day: date, months: int) -> date:
    """Calendar-month arithmetic: 31 Jan + 1 month is 28/29 Feb (the day is clipped)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


@dataclass(frozen=True)
class Duration:
    """A span of calendar time: `days`, `weeks` and `months` add up (months first)."""

    days: int = 0
    weeks: int = 0
    months: int = 0

    def after(self, day: date) -> date:
        """The date this duration after `day` (`start + 3 months`)."""
        from datetime import timedelta

        return add_months(day, self.months) + timedelta(days=self.days + 7 * self.weeks)

    def before(self, day: date) -> date:
        """The date this duration before `day` (used for prerequisite gaps)."""
        from datetime import timedelta

        return add_months(day, -self.months) - timedelta(days=self.days + 7 * self.weeks)

    @property
    def is_zero(self) -> bool:
        return self.days == 0 and self.weeks == 0 and self.months == 0


@dataclass(frozen=True)
class Dated(Generic[T]):
    """One entry of a dated schedule: `value` is in force from `from_` (inclusive)."""

    from_: date
    value: T


@dataclass(frozen=True)
class Schedule(Generic[T]):
    """Values keyed by effective date, in order, never overwritten (openfisca style)."""

    entries: tuple[Dated[T], ...]

    def at(self, day: date) -> T | None:
        """The value in force on `day`, or None before the first entry."""
        found: T | None = None
        for entry in self.entries:
            if entry.from_ <= day:
                found = entry.value
            else:
                break
        return found


# --- participant rules (eligibility of a cohort, conditions of a metric) ---------------------


@dataclass(frozen=True)
class AgeAtStart:
    """Age in whole years on the start date, from a declared date attribute, within [min, max]."""

    attribute: str
    min: int | None = None
    max: int | None = None


@dataclass(frozen=True)
class Flag:
    """A boolean attribute must have this value."""

    attribute: str
    value: bool = True


@dataclass(frozen=True)
class OneOf:
    """An attribute's value must be one of a list."""

    attribute: str
    values: tuple[str, ...]


Rule = AgeAtStart | Flag | OneOf


@dataclass(frozen=True)
class AgeAtOutcome:
    """Age in whole years on the day the outcome is achieved, within [min, max] ("aged 16 or over
    when the job starts"). A metric condition only: enrolment has no outcome day."""

    attribute: str
    min: int | None = None
    max: int | None = None


# what a metric's `conditions` may hold: the participant rules, judged on the start date, and
# the rules judged on the day of the outcome
Condition = Rule | AgeAtOutcome


# --- parties, attributes, cohorts ------------------------------------------------------------


@dataclass(frozen=True)
class Party:
    id: str
    role: Role
    name: str


@dataclass(frozen=True)
class Attribute:
    """A participant attribute the contract needs. Nothing else about a person is stored."""

    name: str
    type: AttributeType
    required: bool = True
    values: tuple[str, ...] | None = None
    description: str = ""


class ConsentUse(StrEnum):
    """What a participant's consent may allow the contract to do with their data."""

    # their outcomes are evidenced and paid for (payment by results): every contract needs it,
    # so a consent that allows it must be required
    OUTCOME_PAYMENTS = "outcome_payments"
    # their records are shared between the contract's providers (a referral from one to another)
    SHARE_BETWEEN_PROVIDERS = "share_between_providers"
    # they are matched against administrative data (benefits, offending, care records) to
    # evaluate the contract
    ADMINISTRATIVE_DATA = "administrative_data"
    # they appear in analysis by group ("what works for whom": reports by attribute value)
    SEGMENT_ANALYSIS = "segment_analysis"


@dataclass(frozen=True)
class Consent:
    """A consent the contract relies on: a column of the participants file (true or false),
    what it allows, and whether enrolment needs it given."""

    name: str
    allows: tuple[ConsentUse, ...]
    required: bool = True
    description: str = ""


@dataclass(frozen=True)
class Cohort:
    id: str
    name: str
    enrolment_from: date
    enrolment_to: date
    capacity: int | None = None
    eligibility: tuple[Rule, ...] = ()
    # per-metric tariff overrides for this cohort: metric id -> price schedule
    tariffs: Mapping[str, Schedule[Decimal]] = field(default_factory=dict)
    # set when a cohort was cancelled (e.g. Peterborough cohort 3): no enrolment from this date
    cancelled_on: date | None = None
    # the overrides that price by occurrence number (see Metric.tariff_by_occurrence)
    tariffs_by_occurrence: Mapping[str, Schedule[tuple[Decimal, ...]]] = field(default_factory=dict)


# --- individual outcome metrics --------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    """A quantity evidenced over time (earnings, guided learning hours)."""

    id: str
    name: str
    unit: str
    decimals: int = 2
    evidence_types: tuple[str, ...] = ()
    verification: Verification = Verification.REQUIRED


@dataclass(frozen=True)
class PerUnit:
    """Paid per unit of a measure: each day's units at the price in force, at most `max_units`
    per participant (per care-day, per guided learning hour)."""

    measure: str
    max_units: Decimal | None = None


@dataclass(frozen=True)
class PersonScale:
    """A per-person sliding scale on a measure's cumulative total since start: 0% of the price
    at or below `lower`, 100% at or above `upper`, linear between."""

    measure: str
    lower: Decimal
    upper: Decimal


@dataclass(frozen=True)
class Threshold:
    """Achieved on the first date the cumulative quantity since start reaches `quantity`."""

    measure: str
    quantity: Decimal


class ClockFrom(StrEnum):
    """Which prerequisite occurrence a gap is measured from."""

    ANY = "any"  # any valid one at least the gap earlier (the earliest decides)
    LATEST = "latest"  # the latest one on or before the outcome: a new entry restarts the clock


@dataclass(frozen=True)
class Prerequisite:
    """A valid occurrence of `metric` must exist at least `min_gap` before this one; measured
    from the latest one when `measured_from` says so, and with none of the `interrupted_by`
    events strictly between it and this one."""

    metric: str
    min_gap: Duration = Duration()
    measured_from: ClockFrom = ClockFrom.ANY
    interrupted_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class Event:
    """Something that happens to a participant and pays nothing (an abandonment, an eviction, a
    return to custody): evidence of it is checked like any row, and it stops a clock."""

    id: str
    name: str
    evidence_types: tuple[str, ...] = ()
    verification: Verification = Verification.REQUIRED
    description: str = ""


@dataclass(frozen=True)
class MetricCaps:
    count: int | None = None
    amount: Decimal | None = None


@dataclass(frozen=True)
class Metric:
    id: str
    name: str
    tariff: Schedule[Decimal]
    evidence_types: tuple[str, ...] = ()
    window: Duration | None = None
    conditions: tuple[Condition, ...] = ()
    prerequisites: tuple[Prerequisite, ...] = ()
    max_per_participant: int = 1
    threshold: Threshold | None = None
    verification: Verification = Verification.REQUIRED
    target: int | None = None
    cohort_targets: Mapping[str, int] = field(default_factory=dict)
    caps: MetricCaps = MetricCaps()
    payer_shares: Schedule[Mapping[str, Decimal]] | None = None
    description: str = ""
    # repeated outcomes: an occurrence counts only this long after the previous one that counted
    min_spacing: Duration | None = None
    # prices by occurrence number, when an entry of the tariff gives `prices`: the same entries
    # as `tariff` (which holds each entry's first price), each with its list of prices
    tariff_by_occurrence: Schedule[tuple[Decimal, ...]] | None = None
    # payments on a quantity: a price per unit, or a per-person sliding scale
    per_unit: PerUnit | None = None
    scale: PersonScale | None = None

    @property
    def measure(self) -> str | None:
        """The measure whose rows reach this metric (a threshold, per unit or a scale), if any:
        such a metric is never claimed by naming it."""
        for rule in (self.threshold, self.per_unit, self.scale):
            if rule is not None:
                return rule.measure
        return None


def occurrence_price(prices: tuple[Decimal, ...], n: int) -> Decimal:
    """The price of occurrence n (1-based): the n-th of the list, the last one for any later."""
    return prices[min(n, len(prices)) - 1]


# --- cohort-level outcome metrics ------------------------------------------------------------


@dataclass(frozen=True)
class PerUnitAboveThreshold:
    """Pays price x improvement in units when the relative effect reaches the threshold."""

    threshold_percent: Decimal
    price: Decimal


@dataclass(frozen=True)
class Tier:
    """A band from `min_effect_percent`: pays a fixed `payment`, or `price` per unit improved."""

    min_effect_percent: Decimal
    payment: Decimal | None = None
    price: Decimal | None = None


@dataclass(frozen=True)
class Tiers:
    bands: tuple[Tier, ...]


@dataclass(frozen=True)
class SlidingScale:
    """0% of `maximum` at `lower_percent` effect, 100% at `upper_percent`, linear between."""

    lower_percent: Decimal
    upper_percent: Decimal
    maximum: Decimal


PaymentRule = PerUnitAboveThreshold | Tiers | SlidingScale


class Effect(StrEnum):
    """How a cohort's effect is measured against its comparison."""

    RELATIVE = "relative"  # percent of the comparison value
    ABSOLUTE = "absolute"  # in the result's own units (points), so a comparison may be 0


class Results(StrEnum):
    """Which of a cohort's results count."""

    LATEST = "latest"  # the latest evaluation replaces the earlier ones
    CUMULATIVE = "cumulative"  # each evaluation is a line; a later one nets off the earlier


@dataclass(frozen=True)
class CohortMetric:
    id: str
    name: str
    cohorts: tuple[str, ...]
    direction: Direction
    rule: PaymentRule
    # pooled: one result over all `cohorts` together; otherwise one result per cohort
    pooled: bool = False
    # cohort metrics whose payments to the same cohorts are deducted (a pooled result pays
    # only what the cohorts have not already been paid)
    net_of: tuple[str, ...] = ()
    caps: MetricCaps = MetricCaps()
    payer_shares: Schedule[Mapping[str, Decimal]] | None = None
    description: str = ""
    effect: Effect = Effect.RELATIVE
    results: Results = Results.LATEST


# --- the contract as a whole -----------------------------------------------------------------


@dataclass(frozen=True)
class Payer:
    """An outcome payer and its commitment (the most it will ever pay), if capped."""

    party: str
    commitment: Decimal | None = None


@dataclass(frozen=True)
class ContractCaps:
    per_participant: Decimal | None = None
    contract: Decimal | None = None


@dataclass(frozen=True)
class Contract:
    id: str
    name: str
    currency: str
    payment_frequency: Frequency
    service_start: date
    referrals_close: date | None = None
    last_outcome_date: date | None = None
    # reconciliation: days a payer has to pay a claim; tolerance for matching money received
    payment_terms_days: int = 30
    remittance_tolerance: Decimal = Decimal("0")
    # findings: evidence waiting for verification longer than this is flagged
    verification_sla_days: int = 30

    @property
    def exponent(self) -> int:
        return CURRENCY_EXPONENTS[self.currency]


@dataclass(frozen=True)
class ExpectedLine:
    participant_id: str
    metric: str
    payer: str
    amount: Decimal
    occurrence: int = 1
    cut_by: str | None = None


@dataclass(frozen=True)
class ExpectedNotPayable:
    evidence_id: str
    reason: str


@dataclass(frozen=True)
class ExampleCaps:
    """An example's own caps, so that a cap can be tested in a few rows: each one given
    replaces the spec's for that example only (a metric's caps as a whole)."""

    per_participant: Decimal | None = None
    contract: Decimal | None = None
    commitments: Mapping[str, Decimal] = field(default_factory=dict)
    metrics: Mapping[str, MetricCaps] = field(default_factory=dict)


@dataclass(frozen=True)
class Example:
    """A small case embedded in the spec, with the lines it must produce (`spec test`)."""

    name: str
    participants: tuple[Mapping[str, object], ...]
    evidence: tuple[Mapping[str, object], ...] = ()
    results: tuple[Mapping[str, object], ...] = ()
    lines: tuple[ExpectedLine, ...] = ()
    not_payable: tuple[ExpectedNotPayable, ...] = ()
    totals: Mapping[str, Decimal] = field(default_factory=dict)
    description: str = ""
    caps: ExampleCaps | None = None


# --- investor finance (optional): the vehicle, its tranches and the provider's fees ------------


class TrancheKind(StrEnum):
    SENIOR_LOAN = "senior_loan"
    JUNIOR_LOAN = "junior_loan"
    EQUITY = "equity"
    RECYCLABLE_GRANT = "recyclable_grant"
    GUARANTEE = "guarantee"


class FeeKind(StrEnum):
    FIXED = "fixed"
    DEFERRED = "deferred"
    OUTCOME_LINKED = "outcome_linked"


@dataclass(frozen=True)
class ReturnCap:
    """The most a tranche may ever receive: a multiple of capital drawn and/or an IRR."""

    multiple: Decimal | None = None
    irr_percent: Decimal | None = None


@dataclass(frozen=True)
class Tranche:
    """One investor's slice of the vehicle. Lower `rank` is paid first in the waterfall.

    `coupon_percent` (loans) and `target_return_percent` (equity's preferred return) both accrue
    as simple yearly interest on the capital outstanding; only equity takes the upside left
    after every tranche's return and capital are paid, up to its cap.
    """

    id: str
    kind: TrancheKind
    investor: str
    commitment: Decimal
    rank: int
    coupon_percent: Decimal | None = None
    target_return_percent: Decimal | None = None
    cap: ReturnCap = ReturnCap()
    description: str = ""

    @property
    def return_percent(self) -> Decimal:
        """The yearly rate that accrues on capital outstanding (0 when none is declared)."""
        return self.coupon_percent or self.target_return_percent or Decimal(0)

    @property
    def takes_upside(self) -> bool:
        return self.kind is TrancheKind.EQUITY


@dataclass(frozen=True)
class ServiceFee:
    """What the vehicle pays a provider: a fixed fee paid from capital, a deferred fee paid from
    outcome income, or a percentage of outcome income (outcome-linked)."""

    provider: str
    kind: FeeKind
    amount: Decimal | None = None
    percent: Decimal | None = None
    description: str = ""


@dataclass(frozen=True)
class Investment:
    """The investment vehicle: who put money in on what terms, and the provider's fees."""

    vehicle: str
    tranches: tuple[Tranche, ...]
    service_fees: tuple[ServiceFee, ...] = ()

    def tranche(self, tranche_id: str) -> Tranche:
        for tranche in self.tranches:
            if tranche.id == tranche_id:
                return tranche
        raise KeyError(tranche_id)


# --- management triggers (optional): what a provider's progress report flags -----------------


@dataclass(frozen=True)
class Trigger:
    """Flag when `metric`'s rate among those it fell due for (after an occurrence of `of`, plus
    the gap `metric` requires after `of`, if any) is below (or above) a percentage for
    `consecutive_periods` periods in a row, e.g. "3-month sustainment below 70% of entries for
    two consecutive periods"."""

    id: str
    name: str
    metric: str
    of: str
    below_percent: Decimal | None = None
    above_percent: Decimal | None = None
    consecutive_periods: int = 1
    description: str = ""


@dataclass(frozen=True)
class ContractSpec:
    contract: Contract
    parties: tuple[Party, ...]
    attributes: tuple[Attribute, ...]
    cohorts: tuple[Cohort, ...]
    metrics: tuple[Metric, ...]
    payers: tuple[Payer, ...]
    payer_shares: Schedule[Mapping[str, Decimal]]
    measures: tuple[Measure, ...] = ()
    cohort_metrics: tuple[CohortMetric, ...] = ()
    caps: ContractCaps = ContractCaps()
    examples: tuple[Example, ...] = ()
    # declared in the file (optional); the ledger numbers versions per contract on load
    version: int | None = None
    # sha256 of the canonical JSON of the document (see contract_specs.canonical)
    content_hash: str = ""
    # investor finance (optional `investment:` section)
    investment: Investment | None = None
    # management triggers the provider report flags (optional `triggers:` section)
    triggers: tuple[Trigger, ...] = ()
    # what happens and pays nothing, for rules to refer to (optional `events:` section)
    events: tuple[Event, ...] = ()
    # the consents the contract relies on (optional `consents:` section)
    consents: tuple[Consent, ...] = ()

    def consents_allowing(self, use: ConsentUse) -> tuple[Consent, ...]:
        """The declared consents that allow `use` (none: the contract does not rely on one)."""
        return tuple(c for c in self.consents if use in c.allows)

    def evidence_things(self) -> tuple[Metric | Measure | Event, ...]:
        """What an evidence row's `metric` column may name: metrics, measures, then events."""
        return (*self.metrics, *self.measures, *self.events)

    def metric(self, metric_id: str) -> Metric:
        for metric in self.metrics:
            if metric.id == metric_id:
                return metric
        raise KeyError(metric_id)

    def cohort(self, cohort_id: str) -> Cohort:
        for cohort in self.cohorts:
            if cohort.id == cohort_id:
                return cohort
        raise KeyError(cohort_id)

    def party(self, party_id: str) -> Party:
        for party in self.parties:
            if party.id == party_id:
                return party
        raise KeyError(party_id)

    def parties_with(self, role: Role) -> tuple[Party, ...]:
        return tuple(p for p in self.parties if p.role == role)

    def metric_position(self, metric_id: str) -> int:
        """Position in the spec: individual metrics first, then cohort-level metrics."""
        ids = [m.id for m in self.metrics] + [m.id for m in self.cohort_metrics]
        return ids.index(metric_id)


def to_minor(amount: Decimal, exponent: int) -> int:
    """An amount in the currency as integer minor units, rounded half-up."""
    quantum = Decimal(1).scaleb(-exponent)
    return int(amount.quantize(quantum, rounding=ROUND_HALF_UP).scaleb(exponent))


def from_minor(minor: int, exponent: int) -> Decimal:
    """Integer minor units back to a Decimal with exactly the currency's decimals."""
    return Decimal(minor).scaleb(-exponent).quantize(Decimal(1).scaleb(-exponent))
