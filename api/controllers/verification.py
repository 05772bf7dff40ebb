"""Verification decisions on evidence: verified, rejected or revoked, with a reason."""

from __future__ import annotations

from litestar import Controller

from api.auth import allow
from api.controllers.imports import DECISIONS, import_handlers
from contract_specs.model import Role


class VerificationController(Controller):
    """Record verification decisions in bulk."""

    path = "/api/contracts/{contract_id:str}"
    tags = ("verification",)
    # who checks evidence (DESIGN.md): the intermediary, the outcome payer and the evaluator
    guards = (allow(Role.INTERMEDIARY, Role.COMMISSIONER, Role.EVALUATOR),)

    decisions_rows, decisions_file = import_handlers(
        DECISIONS,
        path="/verifications",
        operation="Verifications",
        what="Record verification decisions",
        columns="evidence_id, decision (verified|rejected|revoked), reason",
    )
