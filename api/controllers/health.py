"""Liveness and readiness: open to anyone, says nothing about any contract."""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from sqlalchemy import Engine, text

from api.dto import HealthOut
from ledger.storage.db import reading


class HealthController(Controller):
    path = "/health"
    tags = ("health",)

    @get(
        "/",
        operation_id="health",
        security=[{}],
        responses={
            503: ResponseSpec(
                HealthOut, description="The database does not answer.", generate_examples=False
            )
        },
        sync_to_thread=True,
    )
    def health(self, engine: NamedDependency[Engine]) -> Response[HealthOut]:
        """200 when the database answers, 503 when it does not. A read only: it takes no
        write lock, so a long import does not make every worker look down."""
        try:
            with reading(engine) as session:
                session.connection().execute(text("SELECT 1"))
        except Exception:  # any failure to reach the database means "not ready"
            return Response(HealthOut("unavailable", "unreachable"), status_code=503)
        return Response(HealthOut("ok", "ok"), status_code=200)
