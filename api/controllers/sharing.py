"""Sharing a contract with the sector: the INDIGO export (reporting/indigo.py).

Only the intermediary reads it: it is what the intermediary publishes, and it holds every
payer's payments and every investor's capital drawn and distributions, of which a commissioner
or an investor otherwise reads only its own. It holds totals and counts only, never a
participant, so publishing it shares no one's data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any

from litestar import Controller, MediaType, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Operation, Schema
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy import Engine

from api.auth import allow, reach
from api.controllers.responses import READ
from contract_specs.model import Role
from ledger.storage.db import reading
from ledger.storage.tokens import Caller
from reporting.indigo import encode, indigo_export
from reporting.indigo_profile import IndigoProfile, profile_from

MAX_PROFILE_BYTES = 1_000_000
On = Annotated[
    date | None,
    QueryParameter(
        required=False,
        description="The day the export is as of (payments received up to its end); default "
        "today (UTC).",
    ),
]


@dataclass
class IndigoOperation(Operation):
    """The INDIGO export: 200 is the JSON document, an object the INDIGO schema describes."""

    def __post_init__(self) -> None:
        ok = self.responses["200"] if self.responses else None
        assert isinstance(ok, OpenAPIResponse)
        ok.content = {
            "application/json": OpenAPIMediaType(
                schema=Schema(
                    type=OpenAPIType.OBJECT,
                    required=["project", "organisations"],
                    description="The INDIGO project export: "
                    "contract_specs/schema/indigo-project.schema.json (docs/indigo.md).",
                )
            )
        }


class SharingController(Controller):
    """A contract in the sector's published data standards."""

    path = "/api/contracts/{contract_id:str}"
    tags = ("sharing",)

    @get(
        "/indigo",
        operation_id="indigoExport",
        summary="The contract in the INDIGO impact bond data standard's project fields",
        responses=READ,
        guards=[allow(Role.INTERMEDIARY)],
        media_type=MediaType.JSON,
        operation_class=IndigoOperation,
        sync_to_thread=True,
    )
    def indigo(
        self,
        contract_id: FromPath[str],
        caller: NamedDependency[Caller],
        engine: NamedDependency[Engine],
        as_of: On = None,
    ) -> Response[bytes]:
        """The same JSON as `outcomes export indigo CONTRACT`: {project: {id, data},
        organisations}, checked by contract_specs/schema/indigo-project.schema.json; amounts
        are JSON numbers with a currency beside them, dates YYYY-MM-DD. Totals and counts
        only, no participant. With INDIGO's own ids (an INDIGO profile): POST it."""
        return _export(engine, caller, contract_id, as_of, None)

    @post(
        "/indigo",
        operation_id="indigoExportWithProfile",
        summary="The INDIGO export with the contract's INDIGO profile (its INDIGO ids)",
        responses=READ,
        guards=[allow(Role.INTERMEDIARY)],
        media_type=MediaType.JSON,
        status_code=200,
        operation_class=IndigoOperation,
        request_max_body_size=MAX_PROFILE_BYTES,
        sync_to_thread=True,
    )
    def indigo_with_profile(
        self,
        contract_id: FromPath[str],
        caller: NamedDependency[Caller],
        engine: NamedDependency[Engine],
        data: JSONBody[dict[str, Any]],
        as_of: On = None,
    ) -> Response[bytes]:
        """The same JSON as `outcomes export indigo CONTRACT --profile FILE`, the profile
        (contract_specs/schema/indigo-profile.schema.json) sent as the JSON body: INDIGO's
        project id and organisation ids, policy sector, jurisdiction. Nothing is stored."""
        return _export(engine, caller, contract_id, as_of, profile_from(data, "body"))


def _export(
    engine: Engine,
    caller: Caller,
    contract_id: str,
    as_of: date | None,
    profile: IndigoProfile | None,
) -> Response[bytes]:
    day = as_of or datetime.now(UTC).date()
    with reading(engine) as session:
        reach(session, caller, contract_id)
        document = indigo_export(session, contract_id, day, profile)
    return Response(content=encode(document), media_type=MediaType.JSON)
