"""The ledger: postings (filtered, a page at a time) and why a participant was paid, or not.

A provider sees only the postings and explanations of the participants it serves, with its own
ids; other roles see the ledger keys `<provider>/<local id>` (ledger.storage.keys). A commissioner
sees
only its own payer's postings, and its own payer's share in an explanation.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from sqlalchemy import Engine

from api.auth import own_payer, reach
from api.controllers.params import MAX_INT
from api.controllers.responses import READ
from contract_specs.model import Role
from ledger.domain.errors import UnknownParticipant
from ledger.services.explain import Explanation, as_seen_by, explain_participant
from ledger.services.export import PostingFilter, PostingsPage, page_as_seen_by, postings_page
from ledger.services.ids import participant_named
from ledger.storage.db import reading
from ledger.storage.keys import qualified
from ledger.storage.tokens import Caller

MAX_PAGE = 1000


def _filter(description: str) -> object:
    return QueryParameter(required=False, description=description)


Period = Annotated[str | None, _filter("Only postings into this period (2025-Q3, 2025-07).")]
Payer = Annotated[str | None, _filter("Only this payer's postings.")]
ParticipantFilter = Annotated[
    str | None,
    _filter("Only this participant's postings: provider/id (a provider's token: its own id)."),
]
MetricFilter = Annotated[str | None, _filter("Only this metric's postings.")]
Kind = Annotated[str | None, _filter("Only this kind (outcome_payment, adjustment).")]
Limit = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE, description="Page size.")]
Offset = Annotated[int, QueryParameter(ge=0, le=MAX_INT, description="Postings to skip.")]
WhoseParticipant = Annotated[
    str | None,
    _filter(
        "The provider whose own id the path names (not for a provider's token: its own); "
        "without it the id must be one only one provider has."
    ),
]
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
        """Postings in the order they were posted; amounts are decimal strings. A provider
        reads its own participants' postings, with its own ids; other roles read the ledger
        keys (provider/id) and filter by them. A commissioner's token sees its own payer's only
        (another payer: 404)."""
        provider = caller.party_id if caller.role is Role.PROVIDER else None
        if provider is not None and participant_id is not None:
            participant_id = qualified(provider, participant_id)
        only = PostingFilter(
            period=period,
            payer=own_payer(caller, payer),
            participant_id=participant_id,
            metric=metric,
            kind=kind,
            provider=provider,
        )
        with reading(engine) as session:
            reach(session, caller, contract_id)
            page = postings_page(session, contract_id, only, limit=limit, offset=offset)
        return page if provider is None else page_as_seen_by(page, provider)

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
        provider: WhoseParticipant = None,
    ) -> Explanation:
        """Why this participant was paid what, and why any evidence counted for nothing. A
        provider names its own participant by its own id (another provider's, or nobody's:
        404 alike); other roles name a provider's id with `provider`, or alone when only one
        provider has it. A commissioner's token sees its own payer's postings and share of
        what is owed."""
        own = caller.party_id if caller.role is Role.PROVIDER else None
        with reading(engine) as session:
            reach(session, caller, contract_id)
            if own is not None and provider not in (None, own):
                raise UnknownParticipant(contract_id, participant_id)
            key = participant_named(session, contract_id, participant_id, own or provider)
            story = explain_participant(
                session, contract_id, key, as_of or datetime.now(UTC), payer=own_payer(caller)
            )
        return story if own is None else as_seen_by(story, own)
