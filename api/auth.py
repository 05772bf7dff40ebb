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
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
from ledger.tokens import Caller, authenticate

__all__ = ["Caller", "Guard", "TokenAuth", "allow", "own_participants", "reach", "visible"]

Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]
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
        caller = await anyio.to_thread.run_sync(_lookup, engine, secret.strip())
        if caller is None:
            raise NotAuthorizedException("the token is not valid (unknown or revoked)")
        return AuthenticationResult(user=caller, auth=caller.token_id)


def _lookup(engine: Engine, secret: str) -> Caller | None:
    with reading(engine) as session:
        return authenticate(session, secret)


def allow(*roles: Role) -> Guard:
    """A guard letting only `roles` through (403 for the others)."""
    names = ", ".join(r.value for r in roles)

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
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
