"""The INDIGO export: a contract in the field names and shapes of the INDIGO data standard.

INDIGO (the Government Outcomes Lab's International Network for Data on Impact and Government
Outcomes) publishes impact bonds as projects (schema/project.json of
INDIGO-Initiative/indigo-data-standard). The export fills the part of that schema the ledger
knows, checked by contract_specs/schema/indigo-project.schema.json: the project (name, stage,
dates, finance), its organisations (the spec's parties), outcome metrics and their prices,
payment commitments and payments to date, investments, transactions and results.

Every value sits in the standard's `{"value": ...}` object; money is a `currency` object beside
an `amount` written as a JSON number (exact decimals, from integer minor units, never a float);
dates are YYYY-MM-DD. Only totals and counts appear: no participant id, attribute or evidence.

- outcome payments: a period's postings per payer and metric, once the payer's claim for that
  period is matched by money received (type Actual); what is claimed and not yet paid is not
  a payment made.
- payments made (overall and per payer): the remittances received up to the day.
- transactions: each remittance (Outcome Payment) and each capital drawn or distributed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal

import msgspec
from sqlmodel import Session

from contract_specs.model import CohortMetric, ContractSpec, Metric, Role, TrancheKind
from ledger.domain.finance.flows import CashKind
from ledger.services.contracts import active_spec
from ledger.services.results import POOL
from reconciliation.errors import Problem
from reconciliation.matching import Status
from reporting.errors import ReportError
from reporting.indigo_ledger import LedgerTotals, ledger_totals
from reporting.indigo_money import SOURCE, Json, Money, commitments, payments, transactions, value
from reporting.indigo_profile import IndigoProfile

# INDIGO's investment type of each kind of tranche (a grant or a guarantee has none)
INVESTMENT_TYPE = {
    TrancheKind.SENIOR_LOAN: "Debt",
    TrancheKind.JUNIOR_LOAN: "Debt",
    TrancheKind.EQUITY: "Equity",
}
_ENCODER = msgspec.json.Encoder(decimal_format="number")


def indigo_project(spec: ContractSpec, totals: LedgerTotals, profile: IndigoProfile) -> Json:
    """The export document: {project: {id, data}, organisations: [...]}."""
    org = _organisation_ids(spec, profile)
    money = Money(spec)
    data: Json = {
        "name": value(spec.contract.name),
        "stage_development": value(stage(spec, totals)),
        "dates": _dates(spec),
        "overall_project_finance": _finance(spec, totals, money),
        "service_and_beneficiaries": _beneficiaries(spec, totals),
        "sources": [_source(spec, totals.as_of)],
        "service_provisions": [
            {"id": f"serviceprovision-{p.id}", "organisation_id": value(org[p.id])}
            | {"source_ids": SOURCE}
            for p in spec.parties_with(Role.PROVIDER)
        ],
        "outcome_payment_commitments": commitments(spec, totals, money, org),
        "intermediary_services": [
            {"organisation_id": value(org[p.id]), "source_ids": SOURCE}
            for p in spec.parties_with(Role.INTERMEDIARY)
        ],
        "outcome_metrics": _metrics(spec),
        "outcome_pricings": _pricings(spec, totals.as_of, money),
        "outcome_payments": payments(spec, totals, money, org),
        "transactions": transactions(spec, totals, money, org),
        "results": _results(spec, totals),
    }
    if spec.investment is not None:
        data["investments"] = [
            {
                "id": t.id,
                "organisation_id": value(org[t.investor]),
                "investment_commitment": money.exact(money.minor(t.commitment)),
                "source_ids": SOURCE,
            }
            | (
                {"investment_type": value(INVESTMENT_TYPE[t.kind])}
                if t.kind in INVESTMENT_TYPE
                else {}
            )
            for t in spec.investment.tranches
        ]
        drawn = sum(c.amount for c in totals.cash if c.kind is CashKind.CAPITAL_DRAWN)
        data["investment_details"] = {
            "total_funds_invested": {
                "latest": money.of(drawn) | {"date": value(totals.as_of.isoformat())}
            },
            "source_ids": SOURCE,
        }
    if profile.policy_sector is not None:
        data["purpose_and_classifications"] = {"policy_sector": value(profile.policy_sector)}
    if profile.jurisdiction is not None:
        data["jurisdiction"] = {"jurisdiction": value(profile.jurisdiction)}
    return {
        "project": {"id": profile.project_id or spec.contract.id, "data": data},
        "organisations": [{"id": org[p.id], "data": {"name": value(p.name)}} for p in spec.parties],
    }


def encode(document: Json) -> bytes:
    """The document as JSON, amounts as exact JSON numbers, keys in the order built."""
    return _ENCODER.encode(document) + b"\n"


def _organisation_ids(spec: ContractSpec, profile: IndigoProfile) -> Mapping[str, str]:
    return {p.id: profile.organisations.get(p.id, p.id) for p in spec.parties}


def stage(spec: ContractSpec, totals: LedgerTotals) -> str:
    """INDIGO's stage of development on the day: Contracted before service starts,
    Implementation until the last outcome date, then Service delivery complete; Complete once
    every claim is paid as well."""
    contract = spec.contract
    if totals.as_of < contract.service_start:
        return "Contracted"
    if contract.last_outcome_date is None or totals.as_of <= contract.last_outcome_date:
        return "Implementation"
    settled = all(totals.matching.of_claim(c.key).status is Status.MATCHED for c in totals.claims)
    return "Complete" if totals.claims and settled else "Service delivery complete"


def _dates(spec: ContractSpec) -> Json:
    contract = spec.contract
    dates: Json = {"start_date_of_service_provision": value(contract.service_start.isoformat())}
    if contract.last_outcome_date is not None:
        dates["anticipated_end_date_of_service_provision"] = value(
            contract.last_outcome_date.isoformat()
        )
    return dates


def _finance(spec: ContractSpec, totals: LedgerTotals, money: Money) -> Json:
    finance: Json = {}
    if spec.investment is not None:
        committed = sum(money.minor(t.commitment) for t in spec.investment.tranches)
        finance["total_investment_commitment"] = money.exact(committed)
    most = _maximum_outcome_payment(spec)
    if most is not None:
        finance["maximum_potential_outcome_payment_v2"] = money.of(money.minor(most))
    received = sum(r.amount for r in totals.remittances)
    finance["total_outcome_payments_made"] = money.of(received)
    finance["source_ids"] = SOURCE
    return finance


def _maximum_outcome_payment(spec: ContractSpec) -> Decimal | None:
    """The contract's cap, else the payers' commitments when every payer has one."""
    if spec.caps.contract is not None:
        return spec.caps.contract
    commitments = [p.commitment for p in spec.payers]
    if commitments and all(c is not None for c in commitments):
        return sum((c for c in commitments if c is not None), Decimal(0))
    return None


def _beneficiaries(spec: ContractSpec, totals: LedgerTotals) -> Json:
    out: Json = {}
    capacities = [c.capacity for c in spec.cohorts]
    if capacities and all(c is not None for c in capacities):
        out["targeted_number_service_users_or_beneficiaries_total"] = value(
            sum(c for c in capacities if c is not None)
        )
        out["unit_type_targeted_service_users_or_beneficiaries"] = value("Individual")
    out["actual_number_service_users_or_beneficiaries_total"] = value(totals.enrolled)
    out["unit_type_actual_service_users_or_beneficiaries"] = value("Individual")
    out["source_ids"] = SOURCE
    return out


def _source(spec: ContractSpec, as_of: date) -> Json:
    version = "" if spec.version is None else f" version {spec.version}"
    return {
        "id": SOURCE,
        "name": value(f"{spec.contract.name}: contract spec{version} and ledger (outcomes-ledger)"),
        "type": value("Contract"),
        "accessed_date": value(as_of.isoformat()),
    }


def _metrics(spec: ContractSpec) -> list[Json]:
    out = []
    metrics: list[Metric | CohortMetric] = [*spec.metrics, *spec.cohort_metrics]
    for metric in metrics:
        text = metric.name
        if metric.description:
            text = f"{metric.name}: {metric.description.strip()}"
        item: Json = {"id": metric.id, "definition": value(text)}
        target = metric.target if isinstance(metric, Metric) else None
        if target is not None:
            item["targeted_number_of_service_users_or_beneficiaries_total"] = value(target)
            item["unit_type_of_targeted_service_users_or_beneficiaries"] = value("Individual")
        item["source_ids"] = SOURCE
        out.append(item)
    return out


def _pricings(spec: ContractSpec, as_of: date, money: Money) -> list[Json]:
    """Each individual metric's price in force on the day (its first one before it starts),
    as written in the spec (a price per unit may have more decimals than the currency); how
    it is really paid (dated, by occurrence, per unit, on a scale, by cohort) in words."""
    out = []
    for metric in spec.metrics:
        price = metric.tariff.at(as_of)
        if price is None:
            price = metric.tariff.entries[0].value
        item: Json = {
            "outcome_metric_id": value(metric.id),
            "currency": value(money.currency),
            "price_per_unit": {"amount": value(price)},
        }
        described = _price_words(spec, metric, as_of, money.currency)
        if described:
            item["price_description"] = value(described)
        item["source_ids"] = SOURCE
        out.append(item)
    return out


def _price_words(spec: ContractSpec, metric: Metric, as_of: date, currency: str) -> str:
    words = []
    if len(metric.tariff.entries) > 1:
        steps = ", ".join(f"{e.value} from {e.from_.isoformat()}" for e in metric.tariff.entries)
        words.append(f"dated tariff ({currency}): {steps}")
    by_occurrence = (
        None if metric.tariff_by_occurrence is None else metric.tariff_by_occurrence.at(as_of)
    )
    if by_occurrence:
        prices = ", ".join(f"{n}: {p}" for n, p in enumerate(by_occurrence, start=1))
        words.append(f"by occurrence ({currency}): {prices}")
    if metric.per_unit is not None:
        most = metric.per_unit.max_units
        limit = "" if most is None else f", at most {most} units a person"
        words.append(f"per unit of {metric.per_unit.measure}{limit}")
    if metric.scale is not None:
        scale = metric.scale
        words.append(
            f"sliding scale on {scale.measure}: 0% at or below {scale.lower}, "
            f"100% at or above {scale.upper}"
        )
    for cohort in spec.cohorts:
        own = cohort.tariffs.get(metric.id)
        if own is not None and own.at(as_of) is not None:
            words.append(f"cohort {cohort.id}: {own.at(as_of)} {currency}")
    return "; ".join(words)


def _results(spec: ContractSpec, totals: LedgerTotals) -> list[Json]:
    """An outcome-level result per individual metric (how many people it paid for, of how many
    enrolled) and each current cohort result (observed against comparison)."""
    final = stage(spec, totals) == "Complete"
    kind = value("Final" if final else "Interim")
    first = spec.contract.service_start.isoformat()
    out: list[Json] = []
    for metric in spec.metrics:
        paid = totals.paid_people.get(metric.id, 0)
        out.append(
            {
                "outcome_metric_id": value(metric.id),
                "result_level": value("Outcome level"),
                "result_type": kind,
                "period": {
                    "start_date": value(first),
                    "end_date": value(totals.as_of.isoformat()),
                },
                "outcomes_achieved": value(
                    f"{paid} of {totals.enrolled} enrolled paid for: {metric.name}"
                ),
                "number_engaged_in_impact_bond": value(totals.enrolled),
                "number_with_positive_social_outcomes": value(paid),
                "source_ids": SOURCE,
            }
        )
    for row in totals.results.itertuples(index=False):
        # a pooled result (cohort `pool`) is of every cohort, from the first enrolment
        cohorts = [c for c in spec.cohorts if c.id == row.cohort] or list(spec.cohorts)
        start = min(c.enrolment_from for c in cohorts)
        who = f"cohort {row.cohort}" if row.cohort != POOL else "all cohorts"
        out.append(
            {
                "outcome_metric_id": value(str(row.metric)),
                "result_level": value("Outcome level"),
                "result_type": kind,
                "period": {
                    "start_date": value(start.isoformat()),
                    "end_date": value(row.evaluated_on.date().isoformat()),
                },
                "outcomes_achieved": value(
                    f"{who}: observed {row.observed} against comparison "
                    f"{row.comparison} ({row.units} in the cohort)"
                ),
                "number_engaged_in_impact_bond": value(int(row.units)),
                "source_ids": SOURCE,
            }
        )
    return out


def indigo_export(
    session: Session,
    contract_id: str,
    as_of: date,
    profile: IndigoProfile | None = None,
    today: date | None = None,
) -> Json:
    """The INDIGO export of a contract's spec in force and its ledger at the end of `as_of`
    (not after `today`, default today in UTC: a publication says what has happened)."""
    today = today or datetime.now(UTC).date()
    if as_of > today:
        raise ReportError(
            [Problem("as_of", f"{as_of} is after today ({today}): export as of today or earlier")]
        )
    spec = active_spec(session, contract_id).spec
    profile = profile or IndigoProfile()
    unknown = sorted(set(profile.organisations) - {p.id for p in spec.parties})
    if unknown:
        raise ReportError(
            Problem(
                f"profile: organisations.{party}",
                f"{party!r} is not a party of {contract_id}: name one of "
                + ", ".join(p.id for p in spec.parties),
            )
            for party in unknown
        )
    totals = ledger_totals(session, spec, as_of)
    return indigo_project(spec, totals, profile)
