"""The dashboard's pages: sign-in, sign-out, the caller's contracts, a contract, a participant.

Every page reads through the API's own rules: the session cookie holds a token that is checked
by the same lookup as a bearer token (api.auth), a contract is opened with `reach` and a
participant with the provider's own namespace, so a page shows exactly what the API would
answer the same caller, and 404 for the rest. Forms carry a double-submit CSRF token.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import anyio
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from sqlalchemy import Engine

from api.auth import lookup, own_payer, reach, visible
from api.dashboard import sessions, views
from api.errors import as_problem, handle, not_found
from contract_specs.model import Role
from ledger.services.explain import as_seen_by, explain_participant
from ledger.services.ids import participant_named
from ledger.storage.db import reading
from ledger.storage.tokens import Caller

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


def _secure(request: Request[Any, Any, Any]) -> bool:
    return request.url.scheme == "https"


def _caller(request: Request[Any, Any, Any], engine: Engine) -> Caller | None:
    """The signed-in caller, or None: no cookie, a forged or expired one, or a token that is
    revoked or reaches no contract any more."""
    secret = sessions.unseal(request.cookies.get(sessions.COOKIE, ""))
    if secret is None:
        return None
    caller, _ = lookup(engine, secret)
    if caller is None or not caller.contracts:
        return None
    return caller


def _csrf(request: Request[Any, Any, Any]) -> str:
    return request.cookies.get(sessions.CSRF_COOKIE) or sessions.new_csrf()


def _page(
    request: Request[Any, Any, Any], name: str, context: dict[str, Any], status: int = 200
) -> Template:
    csrf = _csrf(request)
    cookie = Cookie(
        key=sessions.CSRF_COOKIE,
        value=csrf,
        httponly=True,
        secure=_secure(request),
        samesite="strict",
        path="/dash",
    )
    return Template(
        template_name=name,
        context={**context, "csrf": csrf},
        status_code=status,
        cookies=[cookie],
    )


def _check_csrf(request: Request[Any, Any, Any], data: dict[str, str]) -> None:
    if not sessions.csrf_matches(request.cookies.get(sessions.CSRF_COOKIE), data.get("csrf")):
        raise not_found("form")  # a forged form learns nothing


def error_page(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """An error as a page for people, with the API's status and message (logged as the API
    logs it): a 404 reads the same whether the thing is missing or not the caller's."""
    problem = as_problem(exc)
    handle(request, exc)  # the API's logging of the same error
    return Template(
        template_name="error.html",
        context={"status": problem.status, "message": problem.message, "caller": None},
        status_code=problem.status,
    )


class DashboardPages(Controller):
    path = "/dash"
    include_in_schema = False
    exception_handlers = {Exception: error_page}  # noqa: RUF012 - Litestar reads it as given

    @get("/", sync_to_thread=True)
    def home(
        self, request: Request[Any, Any, Any], engine: NamedDependency[Engine]
    ) -> Template | Redirect:
        """The sign-in form, or the caller's contracts when signed in."""
        if _caller(request, engine) is not None:
            return Redirect("/dash/contracts")
        return _page(request, "sign_in.html", {"error": ""})

    @post("/sign-in", status_code=303)
    async def sign_in(
        self,
        request: Request[Any, Any, Any],
        data: Form,
    ) -> Response[Any]:
        """Exchange a token for a session cookie."""
        _check_csrf(request, data)
        engine: Engine = request.app.state.engine
        secret = data.get("token", "").strip()
        caller = None
        if secret:
            caller, _ = await anyio.to_thread.run_sync(lookup, engine, secret)
        if caller is None or not caller.contracts:
            return _page(request, "sign_in.html", {"error": "That token is not valid."}, status=401)
        response: Response[Any] = Redirect("/dash/contracts", status_code=303)
        response.set_cookie(
            sessions.COOKIE,
            sessions.seal(secret),
            max_age=sessions.LIFETIME_SECONDS,
            httponly=True,
            secure=_secure(request),
            samesite="lax",
            path="/dash",
        )
        return response

    @post("/sign-out", status_code=303)
    async def sign_out(self, request: Request[Any, Any, Any], data: Form) -> Response[Any]:
        """End the session: the cookie is cleared."""
        _check_csrf(request, data)
        response: Response[Any] = Redirect("/dash/", status_code=303)
        response.delete_cookie(sessions.COOKIE, path="/dash")
        return response

    @get("/contracts", sync_to_thread=True)
    def contracts(
        self, request: Request[Any, Any, Any], engine: NamedDependency[Engine]
    ) -> Template | Redirect:
        """The contracts the caller reaches."""
        caller = _caller(request, engine)
        if caller is None:
            return Redirect("/dash/")
        with reading(engine) as session:
            rows = [reach(session, caller, c) for c in visible(session, caller)]
            items = [{"id": r.id, "name": r.name, "currency": r.currency} for r in rows]
        return _page(request, "contracts.html", {"caller": caller, "contracts": items})

    @get("/contracts/{contract_id:str}/participants/{participant_id:str}", sync_to_thread=True)
    def participant(
        self,
        request: Request[Any, Any, Any],
        engine: NamedDependency[Engine],
        contract_id: FromPath[str],
        participant_id: FromPath[str],
    ) -> Template | Redirect:
        """One participant's story: evidence, decisions and postings (explain)."""
        caller = _caller(request, engine)
        if caller is None:
            return Redirect("/dash/")
        own = caller.party_id if caller.role is Role.PROVIDER else None
        with reading(engine) as session:
            name = reach(session, caller, contract_id).name
            key = participant_named(session, contract_id, participant_id, own)
            story = explain_participant(
                session, contract_id, key, datetime.now(UTC), payer=own_payer(caller)
            )
        story = story if own is None else as_seen_by(story, own)
        return _page(
            request,
            "participant.html",
            {"caller": caller, "contract_name": name, "story": story},
        )

    @get("/contracts/{contract_id:str}", sync_to_thread=True)
    def contract(
        self,
        request: Request[Any, Any, Any],
        engine: NamedDependency[Engine],
        contract_id: FromPath[str],
    ) -> Template | Redirect:
        """A contract: the periods and their money, or a provider's own participants."""
        caller = _caller(request, engine)
        if caller is None:
            return Redirect("/dash/")
        today = datetime.now(UTC).date()
        with reading(engine) as session:
            row = reach(session, caller, contract_id)
            context: dict[str, Any] = {
                "caller": caller,
                "contract_id": contract_id,
                "contract_name": row.name,
                "currency": row.currency,
            }
            if caller.role is Role.PROVIDER:
                context["participants"] = views.own_participants(
                    session, contract_id, caller.party_id
                )
            else:
                lines = views.period_lines(session, caller, contract_id, today)
                context["periods"] = lines
                context["bars"] = views.bars([(p.period, p.received) for p in lines])
        return _page(request, "contract.html", context)
