"""Participants and evidence: a provider's (or the intermediary's) uploads, as JSON or files."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlalchemy import Engine

from api.auth import allow, reach
from api.controllers.imports import EVIDENCE, PARTICIPANTS, WITHDRAWALS, import_handlers
from api.controllers.responses import READ
from api.dto import WithdrawalsOut
from contract_specs.model import Role
from ledger.services.withdrawal import withdrawal_count
from ledger.storage.db import reading
from ledger.storage.tokens import Caller


class ParticipantsController(Controller):
    """Enrol participants and submit evidence of their outcomes; a provider only its own."""

    path = "/api/contracts/{contract_id:str}"
    tags = ("participants and evidence",)
    guards = (allow(Role.INTERMEDIARY, Role.PROVIDER),)

    participants_rows, participants_file = import_handlers(
        PARTICIPANTS,
        path="/participants",
        operation="Participants",
        what="Enrol participants",
        columns="participant_id, cohort, provider, start_date and the spec's attributes",
    )
    withdrawals_rows, withdrawals_file = import_handlers(
        WITHDRAWALS,
        path="/withdrawals",
        operation="Withdrawals",
        what="Record participants' withdrawals of consent",
        columns="participant_id, withdrawn_on (nothing achieved or sent after that day counts; "
        "the participant's declared attributes are erased)",
    )
    evidence_rows, evidence_file = import_handlers(
        EVIDENCE,
        path="/evidence",
        operation="Evidence",
        what="Submit evidence",
        columns="evidence_id, participant_id, metric, achieved_on, evidence_type, quantity, "
        "reference",
    )

    @get(
        "/withdrawals",
        operation_id="countWithdrawals",
        summary="How many participants have withdrawn their consent (never who)",
        responses=READ,
        sync_to_thread=True,
    )
    def withdrawals(
        self,
        contract_id: FromPath[str],
        caller: NamedDependency[Caller],
        engine: NamedDependency[Engine],
    ) -> WithdrawalsOut:
        """A count: a provider's of its own participants, the intermediary's of everyone."""
        with reading(engine) as session:
            reach(session, caller, contract_id)
            own = caller.party_id if caller.role is Role.PROVIDER else None
            return WithdrawalsOut(contract_id, withdrawal_count(session, contract_id, own))
