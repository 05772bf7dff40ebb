"""A reference entitlement, written the obvious way: row by row, plain Python, ints and Fractions.

It follows docs/semantics.md (SEMANTICS.md sections 3 and 4 plus the rules the project decided)
and shares no code with `ledger.domain.entitlement`: only the spec model (`Schedule.at`,
`Duration.after/before`, `to_minor`). The property tests check that the vectorised engine
produces exactly the same lines and not-payable rows.

Inputs are typed rows (dicts): participants with `datetime.date` start dates and typed attributes,
evidence with `achieved_on` a date, `quantity` a Decimal in the measure's unit (or None) and
`submitted_on` the day it was submitted (a date, or absent/None when not known),
results with Decimal-like strings for observed/comparison.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from math import floor
from typing import Any

from contract_specs.model import (
    AgeAtOutcome,
    AgeAtStart,
    ClockFrom,
    Cohort,
    Condition,
    ContractSpec,
    Flag,
    Metric,
    OneOf,
    Rule,
    Schedule,
    Verification,
    occurrence_price,
    to_minor,
)

Row = Mapping[str, Any]


@dataclass
class RefLine:
    participant_id: str
    cohort: str
    provider: str
    metric: str
    occurrence: int
    payer: str
    amount: int
    price: int
    achieved_on: date
    evidence_ids: str
    cut_by: str

    def key(self) -> tuple[str, str, int, str]:
        return (self.participant_id, self.metric, self.occurrence, self.payer)


@dataclass
class RefResult:
    lines: list[RefLine] = field(default_factory=list)
    not_payable: dict[str, str] = field(default_factory=dict)  # evidence_id -> reason


@dataclass
class Occurrence:
    participant_id: str
    metric: str
    achieved_on: date
    evidence_ids: list[str]
    position: int
    price: int = 0
    n: int = 0
    cohort: str = ""
    provider: str = ""
    has_participant_cap: bool = True
    shares: Mapping[str, Decimal] = field(default_factory=dict)
    # outcome of the caps
    amount: int = 0
    cut_by: str = ""
    parts: dict[str, int] = field(default_factory=dict)
    paid: dict[str, int] = field(default_factory=dict)
    reason: str = ""  # not-payable reason when paid nothing
    units: Decimal = Decimal(0)  # a metric paid on a quantity: the units it is paid on


def age_on(birth: date, day: date) -> int:
    years = day.year - birth.year
    if (day.month, day.day) < (birth.month, birth.day):
        years -= 1
    return years


def rule_holds(rule: Rule, person: Row, start: date) -> bool:
    value = person.get(rule.attribute)
    if value is None:
        return False
    if isinstance(rule, AgeAtStart):
        age = age_on(value, start)
        return (rule.min is None or age >= rule.min) and (rule.max is None or age <= rule.max)
    if isinstance(rule, Flag):
        return bool(value) == rule.value
    if isinstance(rule, OneOf):
        return str(value) in rule.values
    raise TypeError(rule)


def condition_holds(rule: Condition, person: Row, start: date, day: date) -> bool:
    """A metric condition: an age at the outcome is judged on the outcome's day."""
    if isinstance(rule, AgeAtOutcome):
        birth = person.get(rule.attribute)
        if birth is None:
            return False
        age = age_on(birth, day)
        return (rule.min is None or age >= rule.min) and (rule.max is None or age <= rule.max)
    return rule_holds(rule, person, start)


def tariff_price(metric: Metric, cohort: Cohort | None, day: date, n: int) -> Decimal | None:
    """The price of occurrence n on `day`: the cohort's override when it has an entry in force,
    else the metric's; an entry listing prices by occurrence gives its n-th (or last)."""
    for schedule, by_occurrence in (
        (
            cohort.tariffs.get(metric.id) if cohort else None,
            cohort.tariffs_by_occurrence.get(metric.id) if cohort else None,
        ),
        (metric.tariff, metric.tariff_by_occurrence),
    ):
        if schedule is None or schedule.at(day) is None:
            continue
        if by_occurrence is None:
            return schedule.at(day)
        prices = by_occurrence.at(day)
        return None if prices is None else occurrence_price(prices, n)
    return None


def measure_claims(
    metric: Metric, rows: list[Row], days: list[date]
) -> list[tuple[str, date, Decimal]]:
    """(evidence_id, occurrence day, units) of the rows of one participant's measure that
    reach `metric`: a threshold on its crossing day; per unit, each day adding up to more than
    0; a scale, on the latest day, when the total is above its lower end."""

    def on(day: date) -> Decimal:
        return sum(
            (Decimal(str(r["quantity"])) for r in rows if r["achieved_on"] == day), Decimal(0)
        )

    found: list[tuple[str, date, Decimal]] = []
    if metric.threshold is not None:
        total = Decimal(0)
        for day in days:
            total += on(day)
            if total >= metric.threshold.quantity:
                return [
                    (r["evidence_id"], day, Decimal(0)) for r in rows if r["achieved_on"] <= day
                ]
    elif metric.per_unit is not None:
        for day in days:
            if on(day) > 0:
                found += [(r["evidence_id"], day, on(day)) for r in rows if r["achieved_on"] == day]
    elif metric.scale is not None:
        total = sum((on(day) for day in days), Decimal(0))
        if total > metric.scale.lower:
            found += [(r["evidence_id"], days[-1], total) for r in rows]
    return found


def quantity_price(metric: Metric, price: Decimal, units: Decimal, exponent: int) -> int:
    """A price per unit times the units, or the price times the scale's share, half-up."""
    amount = Fraction(price)
    if metric.per_unit is not None:
        amount *= Fraction(units)
    elif metric.scale is not None:
        lower, upper = Fraction(metric.scale.lower), Fraction(metric.scale.upper)
        amount *= min(max((Fraction(units) - lower) / (upper - lower), Fraction(0)), Fraction(1))
    return floor(amount * Fraction(10) ** exponent + Fraction(1, 2))


def value_at(schedule: Schedule[Any] | None, day: date) -> Any:
    return None if schedule is None else schedule.at(day)


def shares_on(
    spec: ContractSpec, override: Schedule[Any] | None, day: date
) -> Mapping[str, Decimal]:
    found: Mapping[str, Decimal] | None = value_at(override, day)
    if found is None:
        found = spec.payer_shares.at(day)
    if found is None:
        found = spec.payer_shares.entries[0].value
    return found


def split(amount: int, shares: Mapping[str, Decimal], payer_order: Sequence[str]) -> dict[str, int]:
    parts = {}
    for payer in payer_order:
        share = Fraction(shares.get(payer, Decimal(0)))
        if share > 0:
            parts[payer] = floor(amount * share / 100)
    left = amount - sum(parts.values())
    while left > 0:
        for payer in parts:
            if left == 0:
                break
            parts[payer] += 1
            left -= 1
    return parts


def topo_order(metrics: Sequence[Metric]) -> list[Metric]:
    by_id = {m.id: m for m in metrics}
    done: list[str] = []

    def visit(metric: Metric) -> None:
        if metric.id in done:
            return
        for prerequisite in metric.prerequisites:
            visit(by_id[prerequisite.metric])
        done.append(metric.id)

    for metric in metrics:
        visit(metric)
    return [by_id[i] for i in done]


def reference_entitlement(
    spec: ContractSpec,
    participants: Sequence[Row],
    evidence: Sequence[Row],
    results: Sequence[Row],
    judged: Mapping[tuple[str, str], tuple[date, date] | None] | None = None,
) -> RefResult:
    """`judged`: (participant, metric) -> the first and last day its conditions hold (None:
    never), for withdrawn participants whose attributes were erased; a participant row may
    carry `withdrawn_on` (a date)."""
    judged = judged or {}
    out = RefResult()
    exponent = spec.contract.exponent
    people = {p["participant_id"]: p for p in participants}
    metrics = {m.id: m for m in spec.metrics}
    measures = {m.id: m for m in spec.measures}
    position = {m.id: i for i, m in enumerate(spec.metrics)}
    last_date = spec.contract.last_outcome_date

    # --- rows: status, type, quantity, start ---------------------------------------------------
    pairs: list[tuple[str, str, date]] = []  # (evidence_id, metric, occurrence date)
    units_of: dict[tuple[str, str], Decimal] = {}  # (evidence_id, metric) -> units paid on
    measure_rows: dict[tuple[str, str], list[Row]] = {}
    events = {e.id: e for e in spec.events}
    happened: dict[tuple[str, str], list[date]] = {}  # (participant, event) -> days
    row_of: dict[str, Row] = {}
    for row in evidence:
        eid = row["evidence_id"]
        row_of[eid] = row
        person = people.get(row["participant_id"])
        if person is None:
            out.not_payable[eid] = "not_enrolled"
            continue
        thing: Any = (
            metrics.get(row["metric"]) or measures.get(row["metric"]) or events.get(row["metric"])
        )
        if thing is None:
            out.not_payable[eid] = "unknown_metric"
            continue
        if row["metric"] in metrics and metrics[row["metric"]].measure is not None:
            # a milestone is reached from its measure's rows, never claimed by naming it
            out.not_payable[eid] = "threshold_not_claimable"
            continue
        status = row.get("status") or "verified"
        if status == "rejected":
            out.not_payable[eid] = "rejected"
            continue
        if status == "revoked":
            out.not_payable[eid] = "revoked"
            continue
        if status != "verified" and not (
            status == "pending" and thing.verification == Verification.AUTOMATIC
        ):
            out.not_payable[eid] = "not_verified"
            continue
        if thing.evidence_types and (row.get("evidence_type") or "") not in thing.evidence_types:
            out.not_payable[eid] = "evidence_type_not_accepted"
            continue
        is_measure = row["metric"] in measures and row["metric"] not in metrics
        if is_measure and row.get("quantity") is None:
            out.not_payable[eid] = "quantity_missing"
            continue
        # evidence dated after the day it was submitted is a claim about the future
        submitted_on = row.get("submitted_on")
        if submitted_on is not None and row["achieved_on"] > submitted_on:
            out.not_payable[eid] = "achieved_after_submission"
            continue
        # nothing achieved, or sent, after the day the participant withdrew counts
        withdrawn_on = person.get("withdrawn_on")
        if withdrawn_on is not None and (
            row["achieved_on"] > withdrawn_on
            or (submitted_on is not None and submitted_on > withdrawn_on)
        ):
            out.not_payable[eid] = "after_withdrawal"
            continue
        if row["achieved_on"] < person["start_date"]:
            out.not_payable[eid] = "before_start"
            continue
        if row["metric"] in events:
            # an event pays nothing: it happened, and may stop a clock
            happened.setdefault((row["participant_id"], row["metric"]), []).append(
                row["achieved_on"]
            )
        elif is_measure:
            measure_rows.setdefault((row["participant_id"], row["metric"]), []).append(row)
        else:
            pairs.append((eid, row["metric"], row["achieved_on"]))

    # --- thresholds: first date the cumulative quantity reaches each milestone -------------------
    for (_, measure_id), rows in measure_rows.items():
        days = sorted({r["achieved_on"] for r in rows})
        used: set[str] = set()
        why: dict[str, str] = {}  # the first metric's reason for a row it does not use
        for metric in spec.metrics:
            if metric.measure != measure_id:
                continue
            mine = measure_claims(metric, rows, days)
            for eid, day, units in mine:
                pairs.append((eid, metric.id, day))
                units_of[(eid, metric.id)] = units
                used.add(eid)
            missed = (
                "no_units"
                if metric.per_unit
                else "below_scale"
                if metric.scale
                else "threshold_not_reached"
            )
            for r in rows:
                if r["evidence_id"] not in {eid for eid, _, _ in mine}:
                    why.setdefault(r["evidence_id"], missed)
        for r in rows:
            if r["evidence_id"] not in used:
                out.not_payable[r["evidence_id"]] = why.get(
                    r["evidence_id"], "threshold_not_reached"
                )

    # --- per pair: window, last outcome date, conditions ---------------------------------------
    pair_reason: dict[tuple[str, str], str] = {}
    groups: dict[tuple[str, str, date], list[str]] = {}
    for eid, metric_id, day in pairs:
        row = row_of[eid]
        person = people[row["participant_id"]]
        metric = metrics[metric_id]
        start = person["start_date"]
        reason = ""
        if metric.window is not None and day > metric.window.after(start):
            reason = "outside_window"
        elif last_date is not None and day > last_date:
            reason = "after_last_outcome_date"
        elif (row["participant_id"], metric_id) in judged:
            # judged before the withdrawn participant's attributes were erased
            held = judged[(row["participant_id"], metric_id)]
            if held is None or not held[0] <= day <= held[1]:
                reason = "condition_not_met"
        elif not all(condition_holds(rule, person, start, day) for rule in metric.conditions):
            reason = "condition_not_met"
        if reason:
            pair_reason[(eid, metric_id)] = reason
        else:
            groups.setdefault((row["participant_id"], metric_id, day), []).append(eid)

    occurrences = {
        key: Occurrence(
            key[0],
            key[1],
            key[2],
            sorted(ids),
            position[key[1]],
            units=units_of.get((ids[0], key[1]), Decimal(0)),
        )
        for key, ids in groups.items()
    }

    # --- prerequisites, in dependency order -----------------------------------------------------
    valid_dates: dict[tuple[str, str], list[date]] = {}
    for metric in topo_order(spec.metrics):
        for occ in occurrences.values():
            if occ.metric != metric.id:
                continue
            failed = ""
            for prerequisite in metric.prerequisites:
                latest = prerequisite.min_gap.before(occ.achieved_on)
                earlier = valid_dates.get((occ.participant_id, prerequisite.metric), [])
                if prerequisite.measured_from == ClockFrom.LATEST:
                    # a new entry restarts the clock: only the latest one so far counts
                    so_far = [d for d in earlier if d <= occ.achieved_on]
                    anchor = max(so_far) if so_far else None
                    if anchor is not None and anchor > latest:
                        anchor = None
                else:
                    in_time = [d for d in earlier if d <= latest]
                    anchor = max(in_time) if in_time else None
                reason = ""
                if anchor is None:
                    reason = "prerequisite_not_met"
                elif any(
                    anchor < day < occ.achieved_on
                    for event in prerequisite.interrupted_by
                    for day in happened.get((occ.participant_id, event), [])
                ):
                    reason = "interrupted"
                failed = failed or reason
            if not failed:
                valid_dates.setdefault((occ.participant_id, metric.id), []).append(occ.achieved_on)
            else:
                occ.reason = failed

    # --- limit per participant, tariff ---------------------------------------------------------
    payable: list[Occurrence] = []
    by_person_metric: dict[tuple[str, str], list[Occurrence]] = {}
    for occ in occurrences.values():
        if not occ.reason:
            by_person_metric.setdefault((occ.participant_id, occ.metric), []).append(occ)
    for (pid, metric_id), occs in by_person_metric.items():
        metric = metrics[metric_id]
        person = people[pid]
        occs.sort(key=lambda o: o.achieved_on)
        if metric.min_spacing is not None:
            # each occurrence counts only from the previous counted one plus the spacing
            spaced: list[Occurrence] = []
            for occ in occs:
                if spaced and occ.achieved_on < metric.min_spacing.after(spaced[-1].achieved_on):
                    occ.reason = "too_soon_after_previous"
                else:
                    spaced.append(occ)
            occs = spaced
        units_left = metric.per_unit.max_units if metric.per_unit else None
        for n, occ in enumerate(occs, start=1):
            if n > metric.max_per_participant and metric.per_unit is None:
                occ.reason = "limit_per_participant"
                continue
            if units_left is not None:
                # a per-unit metric pays at most max_units, day by day in date order
                occ.units = min(occ.units, max(units_left, Decimal(0)))
                units_left -= occ.units
                if occ.units <= 0:
                    occ.reason = "max_units_reached"
                    continue
            occ.n = n
            occ.cohort = person["cohort"]
            occ.provider = person["provider"]
            cohort = next((c for c in spec.cohorts if c.id == person["cohort"]), None)
            price = tariff_price(metric, cohort, occ.achieved_on, n)
            occ.price = 0 if price is None else to_minor(price, exponent)
            if price is not None and metric.measure and metric.threshold is None:
                occ.price = quantity_price(metric, price, occ.units, exponent)
            occ.shares = shares_on(spec, metric.payer_shares, occ.achieved_on)
            payable.append(occ)

    from tests.reference.cohort import cohort_occurrences  # it builds on this module's types

    payable.extend(cohort_occurrences(spec, results))

    # --- caps, in the canonical order ------------------------------------------------------------
    payable.sort(key=lambda o: (o.achieved_on, o.position, o.participant_id))
    all_metrics: dict[str, Any] = {**metrics, **{m.id: m for m in spec.cohort_metrics}}
    metric_amount_left = {k: m.caps.amount for k, m in all_metrics.items()}
    metric_amount_left = {
        k: (None if v is None else to_minor(v, exponent)) for k, v in metric_amount_left.items()
    }
    metric_count_left = {k: m.caps.count for k, m in all_metrics.items()}
    person_cap = spec.caps.per_participant
    person_left: dict[str, int] = {}
    contract_left = None if spec.caps.contract is None else to_minor(spec.caps.contract, exponent)
    commitment_left = {
        p.party: (None if p.commitment is None else to_minor(p.commitment, exponent))
        for p in spec.payers
    }
    payer_order = [p.party for p in spec.payers]
    for occ in payable:
        if occ.has_participant_cap and person_cap is not None:
            person_left.setdefault(occ.participant_id, to_minor(person_cap, exponent))
        count_left = metric_count_left[occ.metric]
        if count_left is not None and count_left == 0:
            occ.amount, occ.cut_by = 0, "metric_count_cap"
        else:
            limits = []
            if occ.has_participant_cap and person_cap is not None:
                limits.append(("participant_cap", person_left[occ.participant_id]))
            if metric_amount_left[occ.metric] is not None:
                limits.append(("metric_amount_cap", metric_amount_left[occ.metric]))
            if contract_left is not None:
                limits.append(("contract_cap", contract_left))
            occ.amount = occ.price
            for _, left in limits:
                if left < occ.amount:
                    occ.amount = left
            if occ.amount < occ.price:
                occ.cut_by = next(name for name, left in limits if left == occ.amount)
        occ.parts = split(occ.amount, occ.shares, payer_order)
        for payer, part in occ.parts.items():
            commitment = commitment_left[payer]
            occ.paid[payer] = part if commitment is None else min(part, commitment)
            if commitment is not None:
                commitment_left[payer] = commitment - occ.paid[payer]
        consumed = sum(occ.paid.values())
        if occ.has_participant_cap and person_cap is not None:
            person_left[occ.participant_id] -= consumed
        if metric_amount_left[occ.metric] is not None:
            metric_amount_left[occ.metric] -= consumed
        if contract_left is not None:
            contract_left -= consumed
        if consumed > 0 and count_left is not None:
            metric_count_left[occ.metric] = count_left - 1
        if consumed == 0 and occ.price > 0:
            occ.reason = {
                "metric_count_cap": "metric_cap_reached",
                "metric_amount_cap": "metric_cap_reached",
                "participant_cap": "participant_cap_reached",
                "contract_cap": "contract_cap_reached",
                "": "payer_commitment_exhausted",
            }[occ.cut_by if occ.amount == 0 else ""]
        for payer, part in occ.parts.items():
            cut = "payer_commitment" if occ.paid[payer] < part else occ.cut_by
            out.lines.append(
                RefLine(
                    occ.participant_id,
                    occ.cohort,
                    occ.provider,
                    occ.metric,
                    occ.n,
                    payer,
                    occ.paid[payer],
                    occ.price,
                    occ.achieved_on,
                    ";".join(occ.evidence_ids),
                    cut,
                )
            )

    # --- evidence rows that count for nothing ----------------------------------------------------
    # A row counts when any occurrence it belongs to is paid something (or is payable at a zero
    # price); otherwise it keeps the reason of its first metric in the spec.
    fate: dict[str, list[tuple[int, str]]] = {}
    for (eid, metric_id), reason in pair_reason.items():
        fate.setdefault(eid, []).append((position[metric_id], reason))
    for occ in occurrences.values():
        for eid in occ.evidence_ids:
            fate.setdefault(eid, []).append((occ.position, occ.reason))
    for eid, outcomes in fate.items():
        if all(reason for _, reason in outcomes):
            out.not_payable[eid] = min(outcomes)[1]
    return out
