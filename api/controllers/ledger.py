"""The ledger: postings (filtered, a page at a time) and why a participant was paid, or not.

A provider sees only the postings and explanations of the participants it serves.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from sqlalchemy import Engine

from api.auth import reach, require_participant
from api.controllers.params import MAX_INT
from api.controllers.responses import READ
from contract_specs.model import Role
from ledger.db import reading
from ledger.explain import Explanation, explain_participant
from ledger.export import PostingFilter, PostingsPage, postings_page
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
Offset = Annotated[int, QueryParameter(ge=0, le=MAX_INT, description="Postings to skip.")]
AsOf = Annotated[
    datetime | None,
    QueryParameter(required=False, description="Cut-off (UTC) for what counts; default now."),
]


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
        only = PostingFilter(
            period=period,
            payer=payer,
            participant_id=participant_id,
            metric=metric,
            kind=kind,
            provider=caller.party_id if caller.role is Role.PROVIDER else None,
        )
        with reading(engine) as session:
            reach(session, caller, contract_id)
            return postings_page(session, contract_id, only, limit=limit, offset=offset)

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
        with reading(engine) as session:
            reach(session, caller, contract_id)
            require_participant(session, caller, contract_id, participant_id)
            return explain_participant(
                session, contract_id, participant_id, as_of or datetime.now(UTC)
            )
