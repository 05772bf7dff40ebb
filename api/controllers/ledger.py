"""The ledger: postings (filtered, a page at a time) and why a participant was paid, or not.

A provider sees only the postings and explanations of the participants it serves.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from api.auth import own_participants, reach, require_participant
from api.controllers.responses import READ
from api.dto import PostingOut, PostingsPage
from contract_specs.model import CURRENCY_EXPONENTS, from_minor
from ledger.db import unit_of_work
from ledger.explain import Explanation, explain_participant
from ledger.tables import Posting, table_of
from ledger.tokens import Caller

MAX_PAGE = 1000


def _filter(description: str) -> object:
    return QueryParameter(required=False, description=description)


Period = Annotated[str | None, _filter("Only postings into this period (2025-Q3, 2025-07).")]
Payer = Annotated[str | None, _filter("Only this payer's postings.")]
ParticipantFilter = Annotated[str | None, _filter("Only this participant's postings.")]
MetricFilter = Annotated[str | None, _filter("Only this metric's postings.")]
Kind = Annotated[str | None, _filter("Only this kind (outcome_payment, adjustment).")]
Limit = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE, description="Page size.")]
Offset = Annotated[int, QueryParameter(ge=0, description="Postings to skip.")]
AsOf = Annotated[
    datetime | None,
    QueryParameter(required=False, description="Cut-off (UTC) for what counts; default now."),
]


def postings_page(
    session: Session,
    contract_id: str,
    exponent: int,
    filters: dict[str, str | None],
    only: set[str] | None,
    limit: int,
    offset: int,
) -> PostingsPage:
    """One page of a contract's postings in the order they were posted, with the total."""
    table = table_of(Posting)
    where = [table.c.contract_id == contract_id]
    where += [table.c[name] == value for name, value in filters.items() if value is not None]
    if only is not None:
        where.append(table.c.participant_id.in_(sorted(only)))
    total = session.connection().execute(select(func.count()).where(*where)).scalar_one()
    rows = session.connection().execute(
        select(table)
        .where(*where)
        .order_by(table.c.posted_at, table.c.id)
        .limit(limit)
        .offset(offset)
    )
    items = [
        PostingOut(
            posting_id=r.posting_id,
            contract=r.contract_id,
            spec_version=r.spec_version,
            period=r.period,
            participant_id=r.participant_id,
            metric=r.metric,
            occurrence=r.occurrence,
            payer=r.payer,
            amount=str(from_minor(r.amount, exponent)),
            kind=r.kind,
            reason=r.reason,
            achieved_on=r.achieved_on,
            evidence_ids=[e for e in r.evidence_ids.split(";") if e],
            run_id=r.run_id,
            posted_at=r.posted_at,
        )
        for r in rows
    ]
    return PostingsPage(items, int(total), limit, offset)


class LedgerController(Controller):
    """Read the ledger of a contract."""

    path = "/api/contracts/{contract_id:str}"
    tags = ("ledger",)

    @get("/postings", operation_id="listPostings", responses=READ, sync_to_thread=True)
    def postings(
        self,
        contract_id: FromPath[str],
        caller: NamedDependency[Caller],
        engine: NamedDependency[Engine],
        period: Period = None,
        payer: Payer = None,
        participant_id: ParticipantFilter = None,
        metric: MetricFilter = None,
        kind: Kind = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> PostingsPage:
        """Postings in the order they were posted; amounts are decimal strings."""
        filters = {
            "period": period,
            "payer": payer,
            "participant_id": participant_id,
            "metric": metric,
            "kind": kind,
        }
        with unit_of_work(engine) as session:
            exponent = CURRENCY_EXPONENTS[reach(session, caller, contract_id).currency]
            only = own_participants(session, caller, contract_id)
            return postings_page(session, contract_id, exponent, filters, only, limit, offset)

    @get(
        "/participants/{participant_id:str}/explain",
        operation_id="explainParticipant",
        responses=READ,
        sync_to_thread=True,
    )
    def explain(
        self,
        contract_id: FromPath[str],
        participant_id: FromPath[str],
        caller: NamedDependency[Caller],
        engine: NamedDependency[Engine],
        as_of: AsOf = None,
    ) -> Explanation:
        """Why this participant was paid what, and why any evidence counted for nothing."""
        with unit_of_work(engine) as session:
            reach(session, caller, contract_id)
            require_participant(session, caller, contract_id, participant_id)
            return explain_participant(
                session, contract_id, participant_id, as_of or datetime.now(UTC)
            )
