"""Cash transactions of the investment vehicle: imported from a file, recorded by services,
distributed through the waterfall. Append-only, all or nothing, money in minor units.

A file (.csv or .xlsx) has the columns `date, kind, amount, reference` and, as the kind needs,
`tranche`, `party` and `component`:

| kind | tranche | party | component |
|---|---|---|---|
| capital_drawn | required | the tranche's investor (may be left empty) | empty |
| distribution | required | the tranche's investor (may be left empty) | return, capital or upside |
| outcome_income | empty | required: an outcome payer | empty |
| service_fee | empty | required: a provider | fixed (default), deferred or outcome_linked |
| cost | empty | empty or a party of the contract | empty |

`amount` is a decimal in the contract's currency, positive in the direction of its kind
(negative only to correct an earlier transaction). `reference` identifies a transaction within
the contract: importing the same file again stores nothing new; a reference stored with
different content is refused.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlmodel import Session, SQLModel

from contract_specs.model import ContractSpec, FeeKind, Investment, Role, from_minor
from ledger.domain.errors import LedgerError, RejectedUpload
from ledger.domain.finance.distribute import plan_distribution
from ledger.domain.finance.flows import CashFlow, CashKind, Component
from ledger.domain.finance.waterfall import Waterfall
from ledger.intake.reading import Source
from ledger.intake.references import reference_problems
from ledger.intake.row_checks import ROW, RowChecks, canonical_json, open_checks
from ledger.services.checked_import import (
    CheckedImport,
    Insert,
    Store,
    contract_import,
    in_one_session,
)
from ledger.services.contracts import ActiveSpec, active_spec, require_contract
from ledger.storage.db import hold_until_commit
from ledger.storage.tables import CashTransaction, table_of
from ledger.storage.uploads import ImportSummary, columns_of

REQUIRED = ("date", "kind", "amount", "reference")
OPTIONAL = ("tranche", "party", "component")
FIELDS = ("transacted_on", "kind", "tranche", "party", "component", "amount")
# a reference identifies a transaction within the contract: as long as its column holds
REFERENCE_MAX = int(table_of(CashTransaction).c.reference.type.length)  # type: ignore[attr-defined]
WITH_TRANCHE = {CashKind.CAPITAL_DRAWN.value, CashKind.DISTRIBUTION.value}
FEE_KINDS = tuple(k.value for k in FeeKind)


class NoInvestment(LedgerError):
    def __init__(self, contract_id: str) -> None:
        super().__init__(
            f"contract {contract_id!r} declares no `investment:` section: add the vehicle and "
            "its tranches to the spec (docs/spec-language.md) and load it"
        )


def investment_of(contract_id: str, spec: ContractSpec) -> Investment:
    """The spec's investment section, or NoInvestment."""
    if spec.investment is None:
        raise NoInvestment(contract_id)
    return spec.investment


def import_cash(
    session: Session,
    contract_id: str,
    active: ActiveSpec,
    path: Source,
    *,
    actor: str,
    now: datetime,
    income_from_remittances: bool = False,
) -> ImportSummary:
    """Store every cash transaction in `path`, or none (RejectedUpload).

    With `income_from_remittances` (reconciliation records this contract's outcome income from
    its matched remittances: reconciliation.income), outcome_income rows are refused, since the
    same money would be counted twice."""
    job = cash_import(
        contract_id,
        path,
        actor=actor,
        now=now,
        active=active,
        income_elsewhere=lambda _session: income_from_remittances,
    )
    return in_one_session(session, job)


IncomeElsewhere = Callable[[Session], bool]
"""Whether the contract's outcome income is recorded elsewhere (read in the checking session)."""


def cash_import(
    contract_id: str,
    path: Source,
    *,
    actor: str,
    now: datetime,
    active: ActiveSpec | None = None,
    income_elsewhere: IncomeElsewhere | None = None,
    watching: tuple[type[SQLModel], ...] = (),
) -> CheckedImport:
    """The cash import of `path` (see import_cash), to check before the write lock and store
    under it (services.checked_import); `active`: the spec to check against (by default the
    one in force when it is checked); `income_elsewhere` refuses outcome_income rows when it
    holds, `watching` the tables it reads. One cash write of a contract is stored at a time,
    across processes (a distribution holds the same lock): the second reads what the first
    stored, never a stale view of the references."""
    return contract_import(
        f"cash:{contract_id}",
        contract_id,
        (CashTransaction, *watching),
        lambda session: _check_file(
            session, contract_id, active, path, actor, now, income_elsewhere
        ),
    )


def _check_file(
    session: Session,
    contract_id: str,
    active: ActiveSpec | None,
    path: Source,
    actor: str,
    now: datetime,
    income_elsewhere: IncomeElsewhere | None,
) -> Store:
    require_contract(session, contract_id)
    spec = (active or active_spec(session, contract_id)).spec
    investment_of(contract_id, spec)
    checks = open_checks(path, REQUIRED, OPTIONAL)
    refused = income_elsewhere is not None and income_elsewhere(session)
    return _check(session, contract_id, spec, checks, actor, now, refused)


def record_cash(
    session: Session,
    contract_id: str,
    active: ActiveSpec,
    flows: Sequence[CashFlow],
    *,
    actor: str,
    now: datetime,
    source: str = "api",
) -> ImportSummary:
    """Store cash transactions given as values (the API, reconciliation's matched remittances
    as outcome income), checked exactly like a file's rows: all, or none (RejectedUpload)."""
    require_contract(session, contract_id)
    investment_of(contract_id, active.spec)
    exponent = active.spec.contract.exponent
    frame = pd.DataFrame(
        {
            ROW: pd.array(range(1, len(flows) + 1), dtype="int64"),
            "date": pd.array([f.on.isoformat() for f in flows], dtype="str"),
            "kind": pd.array([str(f.kind) for f in flows], dtype="str"),
            "amount": pd.array([str(from_minor(f.amount, exponent)) for f in flows], dtype="str"),
            "reference": pd.array([f.reference for f in flows], dtype="str"),
            "tranche": pd.array([f.tranche for f in flows], dtype="str"),
            "party": pd.array([f.party for f in flows], dtype="str"),
            "component": pd.array([f.component for f in flows], dtype="str"),
        }
    )
    checks = RowChecks(source, frame)
    # one cash write per contract at a time, across processes (as cash_import's)
    hold_until_commit(session, f"cash:{contract_id}")
    return _check(session, contract_id, active.spec, checks, actor, now)(session)


def _check(
    session: Session,
    contract_id: str,
    spec: ContractSpec,
    checks: RowChecks,
    actor: str,
    now: datetime,
    income_from_remittances: bool = False,
) -> Store:
    """Check the rows against the spec and the references stored; how to store the new ones."""
    if checks.frame.empty:
        return lambda _writer: ImportSummary(new=0, unchanged=0)
    records = check_rows(checks, spec, income_from_remittances)
    canonical = pd.Series(canonical_json(records), index=checks.frame.index, dtype="str")
    exists = checks.against_stored("reference", canonical, _stored(session, contract_id), "stored")
    if checks.errors:
        raise RejectedUpload(checks.errors)
    rows = [
        {
            **record,
            "transacted_on": date.fromisoformat(record["transacted_on"]),
            "reference": reference,
            "contract_id": contract_id,
            "recorded_at": now,
            "recorded_by": actor,
            "source": f"{checks.file}:{row}",
        }
        for record, reference, row, old in zip(
            records, checks.frame["reference"], checks.frame[ROW], exists, strict=True
        )
        if not old
    ]
    unchanged = len(records) - len(rows)

    return Insert(
        CashTransaction, columns_of(rows), len(rows), unchanged,
        "cash.import", contract_id, checks.file, actor, now,
    )  # fmt: skip


def check_rows(
    checks: RowChecks, spec: ContractSpec, income_from_remittances: bool = False
) -> list[dict[str, Any]]:
    """Check each cash row against the spec's investment; returns the rows as stored.
    `income_from_remittances` refuses outcome_income rows (see import_cash)."""
    f = checks.frame
    investment = spec.investment
    tranches = {t.id: t.investor for t in investment.tranches} if investment else {}
    payers = [p.party for p in spec.payers]
    providers = [p.id for p in spec.parties_with(Role.PROVIDER)]
    checks.require(REQUIRED)
    said = reference_problems(f["reference"], REFERENCE_MAX)
    checks.flag(said != "", "reference", said)
    checks.unique("reference")
    days = checks.date("date")
    kinds = [k.value for k in CashKind]
    kind = f["kind"]
    checks.flag(
        ~kind.isin(kinds) & (kind != ""),
        "kind",
        "is not a kind of cash: use one of " + ", ".join(kinds),
    )
    minor = checks.amount("amount", spec.contract.exponent)
    checks.flag(
        (kind == CashKind.OUTCOME_INCOME) & income_from_remittances,
        "kind",
        "outcome income of this contract is recorded by reconciliation once a remittance matches "
        "a claim: import the payment with `outcomes remittances import` instead, or it counts "
        "twice",
    )

    needs_tranche = kind.isin(WITH_TRANCHE)
    tranche = f["tranche"]
    checks.flag(
        needs_tranche & (tranche == ""),
        "tranche",
        "is empty: name the tranche (" + ", ".join(tranches) + ")",
    )
    checks.flag(
        needs_tranche & (tranche != "") & ~tranche.isin(tranches),
        "tranche",
        "is not a tranche of this contract: use one of " + (", ".join(tranches) or "none declared"),
    )
    checks.flag(
        kind.isin(kinds) & ~needs_tranche & (tranche != ""),
        "tranche",
        "only capital_drawn and distribution rows name a tranche: leave it empty",
    )
    investor = tranche.map(tranches).fillna("")
    party = f["party"].where(~needs_tranche | (f["party"] != ""), investor)
    checks.flag(
        needs_tranche & (party != investor) & (investor != ""),
        "party",
        "is not the tranche's investor (" + investor + "): leave it empty or name the investor",
    )
    _party_of_kind(checks, kind, party, CashKind.OUTCOME_INCOME, payers, "an outcome payer")
    _party_of_kind(checks, kind, party, CashKind.SERVICE_FEE, providers, "a provider")
    parties = [p.id for p in spec.parties]
    checks.flag(
        (kind == CashKind.COST) & (party != "") & ~party.isin(parties),
        "party",
        "is not a party of this contract: leave it empty or use one of " + ", ".join(parties),
    )

    component = f["component"]
    fee = kind == CashKind.SERVICE_FEE
    component = component.where(~fee | (component != ""), FeeKind.FIXED.value)
    components = [c.value for c in Component]
    checks.flag(
        (kind == CashKind.DISTRIBUTION) & ~component.isin(components),
        "component",
        "says what a distribution pays: one of " + ", ".join(components),
    )
    checks.flag(
        fee & ~component.isin(FEE_KINDS),
        "component",
        "says which fee was paid: one of " + ", ".join(FEE_KINDS),
    )
    checks.flag(
        kind.isin(kinds) & ~fee & (kind != CashKind.DISTRIBUTION) & (component != ""),
        "component",
        "only distribution and service_fee rows have a component: leave it empty",
    )
    return [
        {
            "transacted_on": None if pd.isna(day) else day.date().isoformat(),
            "kind": k,
            "tranche": t,
            "party": p,
            "component": c,
            "amount": int(m),
        }
        for day, k, t, p, c, m in zip(days, kind, tranche, party, component, minor, strict=True)
    ]


def _party_of_kind(
    checks: RowChecks,
    kind: pd.Series,
    party: pd.Series,
    which: CashKind,
    allowed: list[str],
    what: str,
) -> None:
    rows = kind == which
    checks.flag(rows & (party == ""), "party", f"is empty: name {what} ({', '.join(allowed)})")
    checks.flag(
        rows & (party != "") & ~party.isin(allowed),
        "party",
        f"is not {what} of this contract: use one of " + (", ".join(allowed) or "none declared"),
    )


def _stored(session: Session, contract_id: str) -> dict[str, str]:
    """reference -> canonical JSON of the stored transaction."""
    table = table_of(CashTransaction)
    rows = session.connection().execute(
        select(table.c.reference, *(table.c[name] for name in FIELDS)).where(
            table.c.contract_id == contract_id
        )
    )
    records = []
    references = []
    for row in rows:
        references.append(row.reference)
        records.append(
            {name: getattr(row, name) for name in FIELDS}
            | {"transacted_on": row.transacted_on.isoformat()}
        )
    return dict(zip(references, canonical_json(records), strict=True))


def load_cash(session: Session, contract_id: str) -> list[CashFlow]:
    """Every cash transaction of the contract, in date order then as recorded."""
    table = table_of(CashTransaction)
    rows = session.connection().execute(
        select(table)
        .where(table.c.contract_id == contract_id)
        .order_by(table.c.transacted_on, table.c.id)
    )
    return [
        CashFlow(
            on=row.transacted_on,
            kind=CashKind(row.kind),
            amount=int(row.amount),
            tranche=row.tranche,
            party=row.party,
            component=row.component,
            reference=row.reference,
        )
        for row in rows
    ]


@dataclass(frozen=True)
class Distributed:
    """What a distribution run did: the waterfall and the transactions it recorded."""

    contract_id: str
    on: date
    run_id: str
    waterfall: Waterfall
    transactions: tuple[CashFlow, ...]


def distribute(
    session: Session,
    contract_id: str,
    active: ActiveSpec,
    on: date,
    *,
    actor: str,
    now: datetime,
    reserve: int = 0,
) -> Distributed:
    """Pay the cash on hand on `on` (less `reserve`) through the waterfall and record each
    payment, all or nothing. Running it again on the same day finds no cash left to pay."""
    require_contract(session, contract_id)
    investment = investment_of(contract_id, active.spec)
    # two distributions at once would both pay out the same cash
    hold_until_commit(session, f"cash:{contract_id}")
    run_id = uuid.uuid4().hex[:12]
    waterfall, planned = plan_distribution(
        investment, load_cash(session, contract_id), on, active.spec.contract.exponent, reserve
    )
    flows = tuple(
        CashFlow(
            f.on,
            f.kind,
            f.amount,
            f.tranche,
            f.party,
            f.component,
            reference=f"distribution:{on.isoformat()}:{run_id}:{n}",
        )
        for n, f in enumerate(planned, start=1)
    )
    record_cash(
        session, contract_id, active, flows, actor=actor, now=now, source=f"distribution:{run_id}"
    )
    return Distributed(contract_id, on, run_id, waterfall, flows)
