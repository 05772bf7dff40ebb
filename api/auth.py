"""Who may call what: bearer tokens, role guards and each role's reach over contracts.

The rules, as docs/api.md states them:

- No valid token: 401 (every route but `GET /health` and the schema).
- A role that may never do an action (a provider verifying evidence): 403, whatever the
  contract, so a 403 never says whether a contract exists.
- A contract the caller is not a party of in its token's role, or not the one contract its
  token is limited to: 404, the same answer as for a contract that does not exist, so nobody
  learns which contracts other parties have. A provider's ids are in its own namespace
  (ledger.storage.keys), so it can only ever name its own participants.

Reach comes from two things (ledger.storage.tokens): the contracts the token was issued for, and the
parties of each contract's spec version in force (the `parties` table mirrors it). A token
reaches a contract only when both hold: a commissioner's token issued for a contract whose
version in force names its party as commissioner, and so on. A token that reaches no contract
any more (its party was dropped by the version now in force) is refused with 401.

Within a contract, each party sees only its own: a commissioner the money of its own payer
(`own_payer`), a provider its own participants (`own_participants`), an investor its own
tranches.

The token check is read from the ledger alone, so it is kept per audit chain head
(reporting.memo): making or revoking a token, loading a spec in force and activating a version
each record an audit entry in the same transaction as the change, so a revoked token, or one
whose party a new version dropped, is refused by the very next request, and a warm request
checks its token with one read of the head. The head read is handed to the route (`Checked`),
so a route that serves what is kept at that head reads nothing more.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

import anyio
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from sqlalchemy import Engine
from sqlmodel import Session

from api.errors import not_found
from contract_specs.model import Role
from ledger.storage.db import reading
from ledger.storage.tables import ContractRow
from ledger.storage.tokens import Caller, authenticate, digest, named_in_force
from reporting import memo

__all__ = [
    "Caller",
    "Checked",
    "Guard",
    "TokenAuth",
    "allow",
    "keep_reach",
    "own_party",
    "own_payer",
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
        caller, at = await anyio.to_thread.run_sync(lookup, engine, secret.strip())
        if caller is None:
            raise NotAuthorizedException("the token is not valid (unknown or revoked)")
        if not caller.contracts:
            raise NotAuthorizedException(
                "the token reaches no contract: the spec in force of the contracts it was "
                "issued for no longer names its party in its role (or it was issued without a "
                "contract): ask the contract's intermediary for a new token"
            )
        return AuthenticationResult(user=caller, auth=Checked(caller.token_id, at))


class Checked(NamedTuple):
    """A request's token, and the audit chain head it was found valid at."""

    token_id: str
    head: memo.Head


def lookup(engine: Engine, secret: str) -> tuple[Caller | None, memo.Head]:
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
    return sorted(named_in_force(session, caller.party_id, caller.role, caller.contracts))


def reaches(session: Session, caller: Caller, contract_id: str) -> bool:
    """Whether the token was issued for the contract and the contract's spec in force names
    the caller's party in the token's role (read again in `session`, so a write checks the
    state it writes into)."""
    if contract_id not in caller.contracts:
        return False
    return bool(named_in_force(session, caller.party_id, caller.role, [contract_id]))


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


def own_party(caller: Caller, role: Role, asked: str | None, what: str) -> str | None:
    """The party a read is about: a `role` token sees only its own party (another: 404, as
    for one that does not exist); the other roles see the one they ask about, or all."""
    if caller.role is not role:
        return asked
    if asked not in (None, caller.party_id):
        raise not_found(f"{what} {asked!r}")
    return caller.party_id


def own_payer(caller: Caller, asked: str | None = None) -> str | None:
    """The payer whose money a read shows: a commissioner's own (another payer: 404), else
    the payer asked about (None: every payer)."""
    return own_party(caller, Role.COMMISSIONER, asked, "payer")
