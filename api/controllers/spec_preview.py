"""What a new spec version would change in money, before it is loaded (the API's `contract
preview`): the same service as the CLI, in a read-only session, so nothing is written."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import FromPath, RawBody
from sqlalchemy import Engine

from api.auth import allow, reach
from api.controllers.contracts import spec_source, spec_text
from api.controllers.responses import READ, SpecBodyOperation
from api.controllers.writes import now
from api.dto import ChangeOut, LineChangeOut, MetricChangeOut, PayerPeriodChangeOut, PreviewOut
from contract_specs.findings import SpecError
from contract_specs.loader import MAX_SPEC_BYTES, check_spec_text
from contract_specs.model import Role
from ledger.services.spec_preview import Change, Preview, preview_spec
from ledger.storage.db import reading
from ledger.storage.tokens import Caller


def _change(change: Change) -> dict[str, str]:
    return {"before": str(change.before), "after": str(change.after), "change": str(change.change)}


def preview_out(preview: Preview) -> PreviewOut:
    """The preview as the API answers it: only what moves, amounts as decimal strings."""
    return PreviewOut(
        contract_id=preview.contract_id,
        version_in_force=preview.version_in_force,
        new_hash=preview.new_hash,
        as_of=preview.as_of,
        currency=preview.currency,
        total=ChangeOut(**_change(preview.total)),
        by_payer_period=[
            PayerPeriodChangeOut(**_change(c), payer=c.payer, period=c.period)
            for c in preview.by_payer_period
            if c.change
        ],
        by_metric=[
            MetricChangeOut(**_change(c), metric=c.metric) for c in preview.by_metric if c.change
        ],
        lines=[
            LineChangeOut(
                **_change(c),
                participant_id=c.participant_id,
                metric=c.metric,
                occurrence=c.occurrence,
                payer=c.payer,
                period=c.period,
                achieved_on=c.achieved_on,
            )
            for c in preview.lines
        ],
    )


class SpecPreviewController(Controller):
    """The money a new spec version would change, for the contract's intermediary."""

    path = "/api"
    tags = ("contracts",)

    @post(
        "/contracts/{contract_id:str}/preview",
        operation_id="previewSpecVersion",
        summary="What a new spec version would change in money, per payer and period, per "
        "metric and line by line, against the facts as of now (nothing is stored)",
        responses=READ,
        operation_class=SpecBodyOperation,
        guards=[allow(Role.INTERMEDIARY)],
        status_code=200,
        request_max_body_size=MAX_SPEC_BYTES,
        sync_to_thread=True,
    )
    def preview(
        self,
        contract_id: FromPath[str],
        body: RawBody,
        request: Request[Any, Any, Any],
        caller: NamedDependency[Caller],
        engine: NamedDependency[Engine],
    ) -> PreviewOut:
        """The entitlement under the version in force and under the spec sent, computed on
        the same facts; a spec for another contract is 422. Reads only."""
        source = spec_source(request)
        checked = check_spec_text(spec_text(body), source)
        if checked.spec is None:
            raise SpecError(source, list(checked.findings))
        with reading(engine) as session:
            reach(session, caller, contract_id)
            return preview_out(preview_spec(session, contract_id, checked.spec, now()))
