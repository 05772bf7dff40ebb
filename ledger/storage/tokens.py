"""Bearer tokens of the HTTP API: made, checked and revoked here; only a hash is ever stored.

A token carries a role and a party id (as the contracts' specs name them) and the contracts it
was issued for: one or several, never "any". A party id names an organisation only within its
contract (two intermediaries may both call their council `council`), so a token reaches a
contract only when the intermediary linked it to that contract, and only while the spec version
in force of that contract names the party in the token's role (the `parties` table mirrors the
version in force: ledger.services.contracts). A token whose party no version in force names any more
reaches nothing; it is suspended, not revoked, so putting back a version that names the party
restores it (revoke it to end it for good).

The secret is 32 random bytes shown once, when the token is made; the ledger keeps its sha256,
so a stolen database does not hand out working tokens.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from contract_specs.model import Role
from ledger.domain.errors import LedgerError
from ledger.storage import audit
from ledger.storage.tables import ApiToken, ContractRow, PartyRow, TokenContract
from ledger.storage.versions import version_in_force

PREFIX = "olt_"  # makes a leaked token easy to recognise (secret scanners, logs)


class TokenError(LedgerError):
    """A token that cannot be made or revoked as asked; the message says what to do."""


@dataclass(frozen=True)
class Caller:
    """Who is calling: the token's id, role and party, and the contracts it reaches (those it
    was issued for whose spec in force names its party in its role, when it was checked)."""

    token_id: str
    role: Role
    party_id: str
    contracts: frozenset[str] = frozenset()

    @property
    def actor(self) -> str:
        """How the ledger records this caller as the actor of a write (no personal data)."""
        return f"{self.role.value}:{self.party_id}"


@dataclass(frozen=True)
class NewToken:
    """A token just made: `secret` is shown to the user once and never stored."""

    caller: Caller
    secret: str


@dataclass(frozen=True)
class ListedToken:
    """A token as `outcomes token list` shows it: the contracts it was issued for, and those
    it reaches now (fewer when a version in force no longer names its party)."""

    row: ApiToken
    contracts: tuple[str, ...]
    reaching: tuple[str, ...]


def digest(secret: str) -> str:
    """The sha256 of a secret, as stored."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def named_in_force(
    session: Session, party_id: str, role: Role, contract_ids: Iterable[str]
) -> set[str]:
    """Which of the contracts name `party_id` as `role` in their spec version in force (the
    parties table mirrors it)."""
    wanted = sorted(set(contract_ids))
    if not wanted:
        return set()
    rows = session.scalars(
        select(col(PartyRow.contract_id)).where(
            col(PartyRow.party_id) == party_id,
            col(PartyRow.role) == role.value,
            col(PartyRow.contract_id).in_(wanted),
        )
    )
    return set(rows.all())


def issued_for(session: Session, token_id: str) -> set[str]:
    """The contracts a token was issued for."""
    rows = session.scalars(
        select(col(TokenContract.contract_id)).where(col(TokenContract.token_id) == token_id)
    )
    return set(rows.all())


def _role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise TokenError(f"role {role!r} is not known: use one of {roles}") from None


def _contract_ids(contracts: str | Iterable[str] | None) -> list[str]:
    wanted = [contracts] if isinstance(contracts, str) else list(contracts or ())
    if not [c for c in wanted if c]:
        raise TokenError(
            "name the contract(s) the token is for (--contract, once per contract): a party id "
            "names an organisation only within its contract"
        )
    return sorted(set(wanted))


def _check_named(session: Session, contract_id: str, party_id: str, role: Role) -> None:
    """TokenError unless the contract's spec in force names the party in that role."""
    if session.get(ContractRow, contract_id) is None:
        raise TokenError(
            f"contract {contract_id!r} is not loaded: load its spec first (outcomes contract load)"
        )
    if named_in_force(session, party_id, role, [contract_id]):
        return
    version = version_in_force(session, contract_id)
    where = "no version in force yet" if version is None else f"version {version}, in force"
    row = session.get(PartyRow, (contract_id, party_id))
    if row is not None:
        raise TokenError(
            f"party {party_id!r} is a {row.role} of contract {contract_id!r} ({where}), not a "
            f"{role.value}: issue the token with --role {row.role}"
        )
    todo = (
        "activate the version that names it first (outcomes contract activate)"
        if version is None
        else "name it in the contract's spec (parties) and put that version in force first"
    )
    raise TokenError(
        f"party {party_id!r} is not a {role.value} of contract {contract_id!r} ({where}): {todo}"
    )


def create_token(
    session: Session,
    role: str,
    party_id: str,
    contracts: str | Iterable[str] | None,
    *,
    actor: str,
    now: datetime,
) -> NewToken:
    """Make a token for `party_id` acting as `role` in `contracts` (one id, or several).

    Each contract's spec version in force must name the party with that role (TokenError
    saying what to do otherwise, and for no contract at all).
    """
    typed_role = _role(role)
    wanted = _contract_ids(contracts)
    for contract_id in wanted:
        _check_named(session, contract_id, party_id, typed_role)
    token_id = secrets.token_hex(8)
    secret = PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            id=token_id,
            secret_sha256=digest(secret),
            role=typed_role.value,
            party_id=party_id,
            created_at=now,
            created_by=actor,
        )
    )
    session.flush()  # the links refer to the token
    session.add_all(TokenContract(token_id=token_id, contract_id=c) for c in wanted)
    details = {"role": typed_role.value, "party": party_id, "contracts": wanted}
    audit.record(session, actor, "token.create", f"token:{token_id}", now, details)
    session.flush()
    return NewToken(Caller(token_id, typed_role, party_id, frozenset(wanted)), secret)


def link_token(
    session: Session, caller: Caller, contract_id: str, *, actor: str, now: datetime
) -> None:
    """Let a token reach one more contract (the intermediary who loads a new contract through
    the API reaches it with the token it loaded it with). The spec in force must name the
    token's party in its role, as for a new token."""
    _check_named(session, contract_id, caller.party_id, caller.role)
    if contract_id in issued_for(session, caller.token_id):
        return
    session.add(TokenContract(token_id=caller.token_id, contract_id=contract_id))
    details = {"contract": contract_id}
    audit.record(session, actor, "token.link", f"token:{caller.token_id}", now, details)
    session.flush()


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
    """The caller a presented secret stands for, or None (unknown or revoked). A caller whose
    `contracts` is empty reaches nothing: no spec in force names its party any more in the
    contracts it was issued for (or it was made without a contract, before those existed)."""
    row = session.scalars(
        select(ApiToken).where(col(ApiToken.secret_sha256) == digest(secret))
    ).first()
    if row is None or row.revoked_at is not None:
        return None
    role = Role(row.role)
    reaching = named_in_force(session, row.party_id, role, issued_for(session, row.id))
    return Caller(row.id, role, row.party_id, frozenset(reaching))


def list_tokens(session: Session) -> list[ListedToken]:
    """Every token (hashes included, never secrets), oldest first, with its contracts."""
    links: dict[str, list[str]] = {}
    for token_id, contract_id in session.execute(
        select(col(TokenContract.token_id), col(TokenContract.contract_id)).order_by(
            col(TokenContract.contract_id)
        )
    ):
        links.setdefault(token_id, []).append(contract_id)
    rows = session.scalars(select(ApiToken).order_by(col(ApiToken.created_at))).all()
    listed = []
    for row in rows:
        issued = links.get(row.id, [])
        reaching = named_in_force(session, row.party_id, Role(row.role), issued)
        listed.append(ListedToken(row, tuple(issued), tuple(c for c in issued if c in reaching)))
    return listed
