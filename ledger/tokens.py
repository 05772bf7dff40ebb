"""Bearer tokens of the HTTP API: made, checked and revoked here; only a hash is ever stored.

A token carries a role and a party id (as the contracts' specs name them), and may be limited
to one contract. The secret is 32 random bytes shown once, when the token is made; the ledger
keeps its sha256, so a stolen database does not hand out working tokens.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from contract_specs.model import Role
from ledger import audit
from ledger.errors import LedgerError
from ledger.tables import ApiToken, PartyRow

PREFIX = "olt_"  # makes a leaked token easy to recognise (secret scanners, logs)


class TokenError(LedgerError):
    """A token that cannot be made or revoked as asked; the message says what to do."""


@dataclass(frozen=True)
class Caller:
    """Who is calling: the token's id, role and party, and the one contract it is limited to."""

    token_id: str
    role: Role
    party_id: str
    contract_id: str | None = None

    @property
    def actor(self) -> str:
        """How the ledger records this caller as the actor of a write (no personal data)."""
        return f"{self.role.value}:{self.party_id}"


@dataclass(frozen=True)
class NewToken:
    """A token just made: `secret` is shown to the user once and never stored."""

    caller: Caller
    secret: str


def digest(secret: str) -> str:
    """The sha256 of a secret, as stored."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(
    session: Session,
    role: str,
    party_id: str,
    contract_id: str | None,
    *,
    actor: str,
    now: datetime,
) -> NewToken:
    """Make a token for `party_id` acting as `role` (in `contract_id` only, when given).

    The party must be named with that role by a loaded spec (of that contract, when given).
    """
    try:
        typed_role = Role(role)
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise TokenError(f"role {role!r} is not known: use one of {roles}") from None
    query = select(col(PartyRow.contract_id)).where(
        col(PartyRow.party_id) == party_id, col(PartyRow.role) == typed_role.value
    )
    if contract_id is not None:
        query = query.where(col(PartyRow.contract_id) == contract_id)
    if session.scalars(query).first() is None:
        where = f"contract {contract_id!r}" if contract_id else "any loaded contract"
        raise TokenError(
            f"party {party_id!r} is not a {typed_role.value} of {where}: name it in the "
            "contract's spec (parties) and load the spec first"
        )
    token_id = secrets.token_hex(8)
    secret = PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            id=token_id,
            secret_sha256=digest(secret),
            role=typed_role.value,
            party_id=party_id,
            contract_id=contract_id,
            created_at=now,
            created_by=actor,
        )
    )
    details = {"role": typed_role.value, "party": party_id, "contract": contract_id}
    audit.record(session, actor, "token.create", f"token:{token_id}", now, details)
    session.flush()
    return NewToken(Caller(token_id, typed_role, party_id, contract_id), secret)


def revoke_token(session: Session, token_id: str, *, actor: str, now: datetime) -> bool:
    """Revoke a token; False when it was already revoked."""
    row = session.get(ApiToken, token_id)
    if row is None:
        raise TokenError(f"token {token_id!r} does not exist: list tokens to find its id")
    if row.revoked_at is not None:
        return False
    row.revoked_at = now
    audit.record(session, actor, "token.revoke", f"token:{token_id}", now, {})
    session.flush()
    return True


def authenticate(session: Session, secret: str) -> Caller | None:
    """The caller a presented secret stands for, or None (unknown or revoked)."""
    row = session.scalars(
        select(ApiToken).where(col(ApiToken.secret_sha256) == digest(secret))
    ).first()
    if row is None or row.revoked_at is not None:
        return None
    return Caller(row.id, Role(row.role), row.party_id, row.contract_id)


def list_tokens(session: Session) -> list[ApiToken]:
    """Every token (hashes included, never secrets), oldest first."""
    return list(session.scalars(select(ApiToken).order_by(col(ApiToken.created_at))).all())
