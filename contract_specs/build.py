"""Building the typed `ContractSpec` from a document that passed the schema and the checks.

Only called on a valid document, so it reads keys directly. Defaults live in model.py; a key
that is absent here simply leaves the model's default in place.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from contract_specs.model import (
    AgeAtOutcome,
    AgeAtStart,
    Attribute,
    AttributeType,
    ClockFrom,
    Cohort,
    CohortMetric,
    Condition,
    Consent,
    ConsentUse,
    Contract,
    ContractCaps,
    ContractSpec,
    Dated,
    Direction,
    Duration,
    Effect,
    Event,
    Example,
    ExampleCaps,
    ExpectedLine,
    ExpectedNotPayable,
    FeeKind,
    Flag,
    Frequency,
    Investment,
    Measure,
    Metric,
    MetricCaps,
    OneOf,
    Party,
    Payer,
    PaymentRule,
    PersonScale,
    PerUnit,
    PerUnitAboveThreshold,
    Prerequisite,
    Results,
    ReturnCap,
    Role,
    Rule,
    Schedule,
    ServiceFee,
    SlidingScale,
    Threshold,
    Tier,
    Tiers,
    Tranche,
    TrancheKind,
    Trigger,
    Verification,
)

Doc = Mapping[str, Any]


def build_spec(doc: Doc) -> ContractSpec:
    """The typed spec of a valid document (content_hash is set by the loader)."""
    return ContractSpec(
        contract=_contract(doc["contract"]),
        parties=tuple(
            Party(id=p["id"], role=Role(p["role"]), name=p["name"]) for p in doc["parties"]
        ),
        attributes=tuple(_attribute(name, a) for name, a in doc.get("attributes", {}).items()),
        cohorts=tuple(_cohort(c) for c in doc["cohorts"]),
        metrics=tuple(_metric(m) for m in doc.get("metrics", [])),
        payers=tuple(
            Payer(party=p["party"], commitment=_money(p.get("commitment"))) for p in doc["payers"]
        ),
        payer_shares=_shares(doc["payer_shares"]),
        measures=tuple(_measure(m) for m in doc.get("measures", [])),
        cohort_metrics=tuple(_cohort_metric(m) for m in doc.get("cohort_metrics", [])),
        caps=ContractCaps(
            per_participant=_money(doc.get("caps", {}).get("per_participant")),
            contract=_money(doc.get("caps", {}).get("contract")),
        ),
        examples=tuple(_example(e) for e in doc.get("examples", [])),
        version=doc.get("version"),
        investment=_investment(doc["investment"]) if "investment" in doc else None,
        triggers=tuple(_trigger(t) for t in doc.get("triggers", [])),
        events=tuple(_event(e) for e in doc.get("events", [])),
        consents=tuple(_consent(name, c) for name, c in doc.get("consents", {}).items()),
    )


def _consent(name: str, c: Doc) -> Consent:
    return Consent(
        name=name,
        allows=tuple(ConsentUse(use) for use in c["allows"]),
        required=c.get("required", True),
        description=c.get("description", ""),
    )


def _event(e: Doc) -> Event:
    return Event(
        id=e["id"],
        name=e["name"],
        evidence_types=tuple(e.get("evidence_types", [])),
        verification=Verification(e.get("verification", "required")),
        description=e.get("description", ""),
    )


def _prerequisite(p: Doc) -> Prerequisite:
    return Prerequisite(
        metric=p["metric"],
        min_gap=_duration(p.get("min_gap", {})),
        measured_from=ClockFrom(p.get("measured_from", "any")),
        interrupted_by=tuple(p.get("interrupted_by", [])),
    )


def _date(value: str) -> date:
    return date.fromisoformat(value)


def _money(value: str | None) -> Decimal | None:
    return Decimal(value) if value is not None else None


def _contract(c: Doc) -> Contract:
    optional: dict[str, Any] = {}
    for key in ("referrals_close", "last_outcome_date"):
        if key in c:
            optional[key] = _date(c[key])
    for key in ("payment_terms_days", "verification_sla_days"):
        if key in c:
            optional[key] = c[key]
    if "remittance_tolerance" in c:
        optional["remittance_tolerance"] = Decimal(c["remittance_tolerance"])
    return Contract(
        id=c["id"],
        name=c["name"],
        currency=c["currency"],
        payment_frequency=Frequency(c["payment_frequency"]),
        service_start=_date(c["service_start"]),
        **optional,
    )


def _attribute(name: str, a: Doc) -> Attribute:
    values = a.get("values")
    return Attribute(
        name=name,
        type=AttributeType(a["type"]),
        required=a.get("required", True),
        values=tuple(values) if values is not None else None,
        description=a.get("description", ""),
    )


def _rule(rule: Doc) -> Rule:
    ((kind, body),) = rule.items()
    if kind == "age_at_start":
        return AgeAtStart(attribute=body["attribute"], min=body.get("min"), max=body.get("max"))
    if kind == "flag":
        return Flag(attribute=body["attribute"], value=body.get("value", True))
    return OneOf(attribute=body["attribute"], values=tuple(body["values"]))


def _condition(rule: Doc) -> Condition:
    body = rule.get("age_at_outcome")
    if body is not None:
        return AgeAtOutcome(attribute=body["attribute"], min=body.get("min"), max=body.get("max"))
    return _rule(rule)


def _prices(schedule: list[Doc]) -> Schedule[Decimal]:
    """Each entry's price (of the first occurrence, where an entry lists `prices`)."""
    return Schedule(
        tuple(
            Dated(_date(e["from"]), Decimal(e["price"] if "price" in e else e["prices"][0]))
            for e in schedule
        )
    )


def _by_occurrence(schedule: list[Doc]) -> Schedule[tuple[Decimal, ...]] | None:
    """Each entry's prices by occurrence number, when any entry lists them (else None)."""
    if not any("prices" in e for e in schedule):
        return None
    return Schedule(
        tuple(
            Dated(_date(e["from"]), tuple(Decimal(p) for p in e.get("prices", [e.get("price")])))
            for e in schedule
        )
    )


def _shares(schedule: list[Doc]) -> Schedule[Mapping[str, Decimal]]:
    return Schedule(
        tuple(
            Dated(_date(e["from"]), {p: Decimal(v) for p, v in e["shares"].items()})
            for e in schedule
        )
    )


def _duration(d: Doc) -> Duration:
    return Duration(days=d.get("days", 0), weeks=d.get("weeks", 0), months=d.get("months", 0))


def _caps(c: Doc | None) -> MetricCaps:
    c = c or {}
    return MetricCaps(count=c.get("count"), amount=_money(c.get("amount")))


def _cohort(c: Doc) -> Cohort:
    return Cohort(
        id=c["id"],
        name=c["name"],
        enrolment_from=_date(c["enrolment"]["from"]),
        enrolment_to=_date(c["enrolment"]["to"]),
        capacity=c.get("capacity"),
        eligibility=tuple(_rule(r) for r in c.get("eligibility", [])),
        tariffs={m: _prices(s) for m, s in c.get("tariffs", {}).items()},
        cancelled_on=_date(c["cancelled_on"]) if "cancelled_on" in c else None,
        tariffs_by_occurrence={
            m: by for m, s in c.get("tariffs", {}).items() if (by := _by_occurrence(s))
        },
    )


def _measure(m: Doc) -> Measure:
    return Measure(
        id=m["id"],
        name=m["name"],
        unit=m["unit"],
        decimals=m.get("decimals", 2),
        evidence_types=tuple(m.get("evidence_types", [])),
        verification=Verification(m.get("verification", "required")),
    )


def _metric(m: Doc) -> Metric:
    threshold = m.get("threshold")
    return Metric(
        id=m["id"],
        name=m["name"],
        tariff=_prices(m["tariff"]),
        evidence_types=tuple(m.get("evidence_types", [])),
        window=_duration(m["window"]) if "window" in m else None,
        conditions=tuple(_condition(r) for r in m.get("conditions", [])),
        prerequisites=tuple(_prerequisite(p) for p in m.get("prerequisites", [])),
        max_per_participant=m.get("max_per_participant", 1),
        threshold=(
            Threshold(measure=threshold["measure"], quantity=Decimal(threshold["quantity"]))
            if threshold
            else None
        ),
        verification=Verification(m.get("verification", "required")),
        target=m.get("target"),
        cohort_targets=dict(m.get("cohort_targets", {})),
        caps=_caps(m.get("caps")),
        payer_shares=_shares(m["payer_shares"]) if "payer_shares" in m else None,
        description=m.get("description", ""),
        min_spacing=_duration(m["min_spacing"]) if "min_spacing" in m else None,
        tariff_by_occurrence=_by_occurrence(m["tariff"]),
        per_unit=_per_unit(m["per_unit"]) if "per_unit" in m else None,
        scale=_scale(m["scale"]) if "scale" in m else None,
    )


def _per_unit(p: Doc) -> PerUnit:
    limit = p.get("max_units")
    return PerUnit(measure=p["measure"], max_units=Decimal(limit) if limit is not None else None)


def _scale(p: Doc) -> PersonScale:
    return PersonScale(measure=p["measure"], lower=Decimal(p["lower"]), upper=Decimal(p["upper"]))


def _payment_rule(rule: Doc) -> PaymentRule:
    if "per_unit_above_threshold" in rule:
        body = rule["per_unit_above_threshold"]
        return PerUnitAboveThreshold(
            threshold_percent=Decimal(body["threshold_percent"]), price=Decimal(body["price"])
        )
    if "tiers" in rule:
        return Tiers(
            tuple(
                Tier(
                    min_effect_percent=Decimal(t["min_effect_percent"]),
                    payment=_money(t.get("payment")),
                    price=_money(t.get("price")),
                )
                for t in rule["tiers"]
            )
        )
    body = rule["sliding_scale"]
    return SlidingScale(
        lower_percent=Decimal(body["lower_percent"]),
        upper_percent=Decimal(body["upper_percent"]),
        maximum=Decimal(body["maximum"]),
    )


def _cohort_metric(m: Doc) -> CohortMetric:
    return CohortMetric(
        id=m["id"],
        name=m["name"],
        cohorts=tuple(m["cohorts"]),
        direction=Direction(m["direction"]),
        rule=_payment_rule(m["rule"]),
        pooled=m.get("pooled", False),
        net_of=tuple(m.get("net_of", [])),
        caps=_caps(m.get("caps")),
        payer_shares=_shares(m["payer_shares"]) if "payer_shares" in m else None,
        description=m.get("description", ""),
        effect=Effect(m.get("effect", "relative")),
        results=Results(m.get("results", "latest")),
    )


def _percent(value: str | None) -> Decimal | None:
    return Decimal(value) if value is not None else None


def _tranche(t: Doc) -> Tranche:
    cap = t.get("cap", {})
    return Tranche(
        id=t["id"],
        kind=TrancheKind(t["kind"]),
        investor=t["investor"],
        commitment=Decimal(t["commitment"]),
        rank=t["rank"],
        coupon_percent=_percent(t.get("coupon_percent")),
        target_return_percent=_percent(t.get("target_return_percent")),
        cap=ReturnCap(
            multiple=_percent(cap.get("multiple")), irr_percent=_percent(cap.get("irr_percent"))
        ),
        description=t.get("description", ""),
    )


def _investment(i: Doc) -> Investment:
    return Investment(
        vehicle=i["vehicle"],
        tranches=tuple(_tranche(t) for t in i["tranches"]),
        service_fees=tuple(
            ServiceFee(
                provider=f["provider"],
                kind=FeeKind(f["kind"]),
                amount=_money(f.get("amount")),
                percent=_percent(f.get("percent")),
                description=f.get("description", ""),
            )
            for f in i.get("service_fees", [])
        ),
    )


def cell_text(value: Any) -> str:
    """An example cell as it would stand in a CSV upload: true/false, ISO dates, "" for empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _rows(rows: list[Doc]) -> tuple[Mapping[str, object], ...]:
    return tuple({column: cell_text(value) for column, value in row.items()} for row in rows)


def _example(e: Doc) -> Example:
    expect = e.get("expect", {})
    return Example(
        name=e["name"],
        participants=_rows(e.get("participants", [])),
        evidence=_rows(e.get("evidence", [])),
        results=_rows(e.get("results", [])),
        lines=tuple(
            ExpectedLine(
                participant_id=line["participant_id"],
                metric=line["metric"],
                payer=line["payer"],
                amount=Decimal(line["amount"]),
                occurrence=line.get("occurrence", 1),
                cut_by=line.get("cut_by"),
            )
            for line in expect.get("lines", [])
        ),
        not_payable=tuple(
            ExpectedNotPayable(evidence_id=n["evidence_id"], reason=n["reason"])
            for n in expect.get("not_payable", [])
        ),
        totals={p: Decimal(v) for p, v in expect.get("totals", {}).items()},
        description=e.get("description", ""),
        caps=_example_caps(e["caps"]) if "caps" in e else None,
    )


def _example_caps(c: Doc) -> ExampleCaps:
    return ExampleCaps(
        per_participant=_money(c.get("per_participant")),
        contract=_money(c.get("contract")),
        commitments={p: Decimal(v) for p, v in c.get("commitments", {}).items()},
        metrics={m: _caps(v) for m, v in c.get("metrics", {}).items()},
    )


def _trigger(t: Doc) -> Trigger:
    return Trigger(
        id=t["id"],
        name=t["name"],
        metric=t["metric"],
        of=t["of"],
        below_percent=_money(t.get("below_percent")),
        above_percent=_money(t.get("above_percent")),
        consecutive_periods=t.get("consecutive_periods", 1),
        description=t.get("description", ""),
    )
