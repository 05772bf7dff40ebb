"""Who may call what: bearer tokens, role guards and each role's reach over contracts.

The rules, as docs/api.md states them:

- No valid token: 401 (every route but `GET /health` and the schema).
- A role that may never do an action (a provider verifying evidence): 403, whatever the
  contract, so a 403 never says whether a contract exists.
- A contract the caller is not a party of in its token's role, or not the one contract its
  token is limited to: 404, the same answer as for a contract that does not exist, so nobody
  learns which contracts other parties have. The same holds for a provider asking about a
  participant of another provider.

Reach comes from the parties of each contract's spec (the `parties` table): a commissioner
reaches the contracts that name it as commissioner, an investor those that name it as
investor, and so on.

The token check is read from the ledger alone, so it is kept per audit chain head
(reporting.memo): making or revoking a token records an audit entry in the same transaction,
so a revoked token is refused by the very next request, and a warm request checks its token
with one read of the head. The head read is handed to the route (`Checked`), so a route that
serves what is kept at that head reads nothing more.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

import anyio
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from api.errors import not_found
from contract_specs.model import Role
from ledger.db import reading
from ledger.tables import ContractRow, Participant, PartyRow
from ledger.tokens import Caller, authenticate, digest
from reporting import memo

__all__ = [
    "Caller",
    "Checked",
    "Guard",
    "TokenAuth",
    "allow",
    "keep_reach",
    "own_participants",
    "reach",
    "reached",
    "visible",
]

Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None]]
OPEN_PATHS = ["^/health$", "^/schema"]


class TokenAuth(AbstractAuthenticationMiddleware):
    """Reads `Authorization: Bearer <token>` and puts the Caller on the connection."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise NotAuthorizedException("send a token: Authorization: Bearer <token>")
        engine: Engine = connection.app.state.engine
        caller, at = await anyio.to_thread.run_sync(_lookup, engine, secret.strip())
        if caller is None:
            raise NotAuthorizedException("the token is not valid (unknown or revoked)")
        return AuthenticationResult(user=caller, auth=Checked(caller.token_id, at))


class Checked(NamedTuple):
    """A request's token, and the audit chain head it was found valid at."""

    token_id: str
    head: memo.Head


def _lookup(engine: Engine, secret: str) -> tuple[Caller | None, memo.Head]:
    """The caller a secret stands for, and the head it was checked at. Only valid tokens are
    kept: an unknown secret is looked up every time (a token made later must work)."""
    key = ("caller", digest(secret))
    at = memo.head(engine)
    caller: Caller | None = memo.value(engine, at, key)
    if caller is None:
        with reading(engine) as session:
            at = memo.head_of(session)
            caller = authenticate(session, secret)
        if caller is not None:
            memo.keep(engine, at, key, caller)
    return caller, at


def allow(*roles: Role) -> Guard:
    """A guard letting only `roles` through (403 for the others)."""
    names = ", ".join(r.value for r in roles)

    # async: it reads nothing, and Litestar runs a sync guard in a worker thread
    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        if connection.scope.get("method") == "OPTIONS":
            return  # a preflight carries no token by design and answers only the route's methods
        caller = connection.user
        if not isinstance(caller, Caller) or caller.role not in roles:
            raise PermissionDeniedException(f"only a token of role {names} may do this")

    guard.__name__ = f"allow_{'_'.join(r.value for r in roles)}"
    return guard


ANY_ROLE = tuple(Role)


def visible(session: Session, caller: Caller) -> list[str]:
    """The ids of the contracts the caller reaches, in order."""
    query = select(col(PartyRow.contract_id)).where(
        col(PartyRow.party_id) == caller.party_id, col(PartyRow.role) == caller.role.value
    )
    if caller.contract_id is not None:
        query = query.where(col(PartyRow.contract_id) == caller.contract_id)
    return sorted(session.scalars(query).all())


def reaches(session: Session, caller: Caller, contract_id: str) -> bool:
    """Whether the caller is a party of the contract in its token's role."""
    if caller.contract_id is not None and caller.contract_id != contract_id:
        return False
    row = session.get(PartyRow, (contract_id, caller.party_id))
    return row is not None and row.role == caller.role.value


def reach(session: Session, caller: Caller, contract_id: str) -> ContractRow:
    """The contract, when the caller reaches it; else 404 (whether or not it exists)."""
    row = session.get(ContractRow, contract_id)
    if row is None or not reaches(session, caller, contract_id):
        raise not_found(f"contract {contract_id!r}")
    return row


def keep_reach(engine: Engine, at: memo.Head, caller: Caller, contract_id: str) -> None:
    """Remember that `reach` let the caller into the contract at head `at`."""
    memo.keep(engine, at, ("reach", caller.token_id, contract_id), True)


def reached(engine: Engine, at: memo.Head, caller: Caller, contract_id: str) -> bool:
    """Whether the caller was let into the contract at head `at` (False: not known, so ask
    `reach`). Parties and tokens change only with audited writes, which move the head."""
    return memo.value(engine, at, ("reach", caller.token_id, contract_id)) is True


def own_participants(session: Session, caller: Caller, contract_id: str) -> set[str] | None:
    """The participants a provider serves in the contract; None for roles that see them all."""
    if caller.role is not Role.PROVIDER:
        return None
    rows = session.scalars(
        select(col(Participant.participant_id)).where(
            col(Participant.contract_id) == contract_id,
            col(Participant.provider) == caller.party_id,
        )
    )
    return set(rows.all())


def require_participant(
    session: Session, caller: Caller, contract_id: str, participant_id: str
) -> None:
    """404 when a provider asks about a participant it does not serve."""
    mine = own_participants(session, caller, contract_id)
    if mine is not None and participant_id not in mine:
        raise not_found(f"participant {participant_id!r}")
