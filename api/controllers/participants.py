"""Participants and evidence: a provider's (or the intermediary's) uploads, as JSON or files."""

from __future__ import annotations

from litestar import Controller

from api.auth import allow
from api.controllers.imports import EVIDENCE, PARTICIPANTS, WITHDRAWALS, import_handlers
from contract_specs.model import Role


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
