"""Small helpers to write ContractSpec objects in tests without the YAML loader."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from contract_specs.model import (
    Attribute,
    AttributeType,
    Cohort,
    CohortMetric,
    Contract,
    ContractCaps,
    ContractSpec,
    Dated,
    Frequency,
    Measure,
    Metric,
    Party,
    Payer,
    Role,
    Schedule,
)

START = date(2015, 1, 1)


def schedule(*entries: tuple[date, object]) -> Schedule[Any]:
    """A dated schedule from (from, value) pairs."""
    return Schedule(tuple(Dated(day, value) for day, value in entries))


def prices(*entries: tuple[date, str] | str) -> Schedule[Decimal]:
    """A tariff: one price from START, or (from, price) pairs."""
    pairs = [(START, e) if isinstance(e, str) else e for e in entries]
    return schedule(*((day, Decimal(price)) for day, price in pairs))


def shares(**percent: str) -> Mapping[str, Decimal]:
    return {payer.replace("_", "-"): Decimal(value) for payer, value in percent.items()}


def metric(metric_id: str, price: str = "100.00", **fields: Any) -> Metric:
    return Metric(id=metric_id, name=metric_id, tariff=prices(price), **fields)


def make_spec(
    metrics: Sequence[Metric],
    *,
    payers: Sequence[Payer] = (Payer("dclg"),),
    payer_shares: Schedule[Mapping[str, Decimal]] | None = None,
    cohorts: Sequence[Cohort] | None = None,
    measures: Sequence[Measure] = (),
    cohort_metrics: Sequence[CohortMetric] = (),
    caps: ContractCaps = ContractCaps(),
    currency: str = "GBP",
    last_outcome_date: date | None = None,
    attributes: Sequence[Attribute] = (
        Attribute("date_of_birth", AttributeType.DATE, required=False),
        Attribute("care_leaver", AttributeType.BOOLEAN, required=False),
    ),
) -> ContractSpec:
    """A complete spec around the given metrics; one payer paying 100% unless told otherwise."""
    if payer_shares is None:
        payer_shares = schedule((START, {payers[0].party: Decimal(100)}))
    parties = (
        *(Party(p.party, Role.COMMISSIONER, p.party) for p in payers),
        Party("provider-a", Role.PROVIDER, "Provider A"),
    )
    return ContractSpec(
        contract=Contract(
            id="test",
            name="Test contract",
            currency=currency,
            payment_frequency=Frequency.QUARTERLY,
            service_start=START,
            last_outcome_date=last_outcome_date,
        ),
        parties=parties,
        attributes=tuple(attributes),
        cohorts=tuple(cohorts)
        if cohorts is not None
        else (Cohort("c1", "Cohort 1", START, date(2016, 12, 31)),),
        metrics=tuple(metrics),
        payers=tuple(payers),
        payer_shares=payer_shares,
        measures=tuple(measures),
        cohort_metrics=tuple(cohort_metrics),
        caps=caps,
    )


def person(
    pid: str, start: str = "2015-02-01", cohort: str = "c1", **attributes: object
) -> dict[str, Any]:
    return {
        "participant_id": pid,
        "cohort": cohort,
        "provider": "provider-a",
        "start_date": date.fromisoformat(start),
        **attributes,
    }


def fact(eid: str, pid: str, metric_id: str, day: str, **fields: object) -> dict[str, Any]:
    return {
        "evidence_id": eid,
        "participant_id": pid,
        "metric": metric_id,
        "achieved_on": date.fromisoformat(day),
        **fields,
    }
