"""The Litestar app: `create_app(settings)` wires the controllers, tokens, errors and OpenAPI.

Every route lives under `/api/` and needs a bearer token, except `GET /health` and the OpenAPI
document at `/schema/openapi.json` (no UI pages: they load scripts from public CDNs).
Handlers are sync (sync SQLAlchemy sessions) and run in a worker thread.
"""

from __future__ import annotations

from decimal import Decimal
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from litestar import Litestar, Request
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware.base import DefineMiddleware
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from sqlalchemy import Engine

from api import errors
from api.auth import OPEN_PATHS, Checked, TokenAuth
from api.controllers.contracts import ContractsController
from api.controllers.health import HealthController
from api.controllers.investors import InvestorsController
from api.controllers.ledger import LedgerController
from api.controllers.participants import ParticipantsController
from api.controllers.reconciliation import ReconciliationController
from api.controllers.reports import ReportsController
from api.controllers.results import ResultsController
from api.controllers.sharing import SharingController
from api.controllers.spec_preview import SpecPreviewController
from api.controllers.verification import VerificationController
from api.dashboard.app import DASHBOARD_PATHS, dashboard_handlers, template_config
from ledger.storage.db import ensure_schema, make_engine
from ledger.storage.settings import Settings, get_settings
from ledger.storage.tokens import Caller

CONTROLLERS: list[Any] = [
    HealthController,
    ContractsController,
    SpecPreviewController,
    ParticipantsController,
    VerificationController,
    ResultsController,
    LedgerController,
    ReconciliationController,
    ReportsController,
    InvestorsController,
    SharingController,
]


def _version() -> str:
    try:
        return version("outcomes-ledger")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0"


def openapi_config() -> OpenAPIConfig:
    """The OpenAPI document's settings: JSON only, bearer tokens on every route but health."""
    return OpenAPIConfig(
        title="outcomes-ledger",
        version=_version(),
        description="Outcomes contracts: specs, participants and evidence, the ledger, "
        "reconciliation and reports. Errors share one shape: see docs/api.md.",
        path="/schema",
        render_plugins=[JsonRenderPlugin()],
        components=Components(
            security_schemes={
                "bearer": SecurityScheme(
                    type="http", scheme="bearer", description="`outcomes token create`"
                )
            }
        ),
        security=[{"bearer": []}],
        use_handler_docstrings=True,
    )


def provide_engine(state: State) -> Engine:
    """The app's database engine."""
    engine: Engine = state.engine
    return engine


def provide_caller(request: Request[Any, Any, Any]) -> Caller:
    """The caller the token middleware authenticated."""
    caller: Caller = request.user
    return caller


def provide_checked(request: Request[Any, Any, Any]) -> Checked:
    """The caller's token and the audit chain head it was checked at."""
    checked: Checked = request.auth
    return checked


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    max_upload_bytes: int | None = None,
) -> Litestar:
    """The API on the settings' database (or on `engine`), migrated first when empty. A
    request body over `max_upload_bytes` (default: OUTCOMES_API_UPLOAD_MAX_BYTES) is 413."""
    settings = settings or get_settings()
    owned = engine is None
    state = State({"engine": engine})

    def start(app: Litestar) -> None:
        if app.state.engine is None:
            app.state.engine = make_engine(settings.database_url)
        ensure_schema(app.state.engine)

    def stop(app: Litestar) -> None:
        if owned and app.state.engine is not None:
            app.state.engine.dispose()

    return Litestar(
        route_handlers=[*CONTROLLERS, *dashboard_handlers()],
        template_config=template_config(),
        on_startup=[start],
        on_shutdown=[stop],
        state=state,
        dependencies={
            "engine": Provide(provide_engine, sync_to_thread=False),
            "caller": Provide(provide_caller, sync_to_thread=False),
            "checked": Provide(provide_checked, sync_to_thread=False),
        },
        middleware=[DefineMiddleware(TokenAuth, exclude=[*OPEN_PATHS, *DASHBOARD_PATHS])],
        exception_handlers={Exception: errors.handle},
        openapi_config=openapi_config(),
        request_max_body_size=max_upload_bytes or settings.api_upload_max_bytes,
        type_encoders={Decimal: str},
        debug=False,
    )
