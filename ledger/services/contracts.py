"""Registering spec versions, putting one in force, and finding the one in force.

A spec version is immutable: loading the same content again is a no-op, new content becomes the
next version number of its contract. Which version is in force is a fact of its own, never an
edit of a version row: every load in force (`spec.load` with `active`) and every activation
(`spec.activate`) is an entry in the append-only audit log, written in the same transaction, and
the version in force is the one named by the latest such entry. So a draft is put in force, or an
older version brought back, by recording an activation, and the history of what was in force when
(and who decided it) is kept.

The contract's parties (the `parties` table: who reaches the contract, in which role) mirror
the version in force, in the same transaction as the entry that puts it in force: a party the
new version no longer names loses its reach at once, a draft changes nothing, and bringing back
an older version brings back its parties. The entry says whose reach it ended and began.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from contract_specs.canonical import canonical_json
from contract_specs.findings import SpecError
from contract_specs.loader import parse_spec_text, read_spec_file
from contract_specs.model import ContractSpec, Party, Role
from ledger.domain.errors import LedgerError, NoActiveSpec, UnknownContract
from ledger.storage import audit
from ledger.storage.tables import ContractRow, PartyRow, SpecVersion
from ledger.storage.versions import ACTIVATE, LOAD, version_in_force

# Builds the typed spec from a stored document (default: spec_from_document).
SpecParser = Callable[[Mapping[str, Any]], ContractSpec]


class UnknownSpecVersion(LedgerError):
    """A version number the contract does not have."""

    def __init__(self, contract_id: str, version: int) -> None:
        super().__init__(
            f"contract {contract_id!r} has no version {version}: list its versions and pick "
            "one of them"
        )
        self.contract_id = contract_id
        self.version = version


@dataclass(frozen=True)
class Registered:
    """What loading a spec did: the version number and whether it was new."""

    contract_id: str
    version: int
    created: bool
    active: bool


@dataclass(frozen=True)
class Activated:
    """What activating a version did: the version in force before, and whether it changed."""

    contract_id: str
    version: int
    previous: int | None
    changed: bool


@dataclass(frozen=True)
class ActiveSpec:
    """A contract's spec version in force, typed."""

    version: int
    spec: ContractSpec


def register_spec(
    session: Session,
    spec: ContractSpec,
    document: Mapping[str, Any],
    *,
    actor: str,
    now: datetime,
    active: bool = True,
) -> Registered:
    """Store `spec` (validated, built from `document`) as its contract's next version."""
    contract_id = spec.contract.id
    if not spec.content_hash:
        raise ValueError("spec has no content hash: build it with contract_specs.loader")
    existing = session.scalars(
        select(SpecVersion).where(
            col(SpecVersion.contract_id) == contract_id,
            col(SpecVersion.content_hash) == spec.content_hash,
        )
    ).first()
    if existing is not None:
        in_force = existing.version == version_in_force(session, contract_id)
        return Registered(contract_id, existing.version, False, in_force)
    new_contract = session.get(ContractRow, contract_id) is None
    if new_contract:
        session.add(
            ContractRow(
                id=contract_id,
                name=spec.contract.name,
                currency=spec.contract.currency,
                created_at=now,
            )
        )
        session.flush()
    last = session.scalar(
        select(func.max(SpecVersion.version)).where(col(SpecVersion.contract_id) == contract_id)
    )
    version = (last or 0) + 1
    session.add(
        SpecVersion(
            contract_id=contract_id,
            version=version,
            content_hash=spec.content_hash,
            document=dict(document),
            loaded_at=now,
            loaded_by=actor,
            active=active,
        )
    )
    details: dict[str, Any] = {
        "version": version,
        "content_hash": spec.content_hash,
        "active": active,
    }
    if active:
        details.update(_mirror_parties(session, contract_id, spec.parties))
    elif new_contract:
        # nothing is in force yet: only the draft's intermediaries reach the contract, so the
        # one who loaded it can read and activate it; nobody else until it is in force
        details.update(_mirror_parties(session, contract_id, spec.parties_with(Role.INTERMEDIARY)))
    audit.record(session, actor, LOAD, f"contract:{contract_id}", now, details)
    session.flush()
    return Registered(contract_id, version, True, active)


def _mirror_parties(
    session: Session, contract_id: str, parties: Iterable[Party]
) -> dict[str, list[str]]:
    """Make the contract's parties exactly `parties` (names and roles as this version words
    them); what changed, for the audit entry: parties removed, added, or given another role."""
    named = {p.id: p for p in parties}
    rows = {
        r.party_id: r
        for r in session.scalars(select(PartyRow).where(col(PartyRow.contract_id) == contract_id))
    }
    removed = sorted(set(rows) - set(named))
    for party_id in removed:
        session.delete(rows[party_id])
    added, moved = [], []
    for party in named.values():
        row = rows.get(party.id)
        if row is None:
            added.append(party.id)
            session.add(
                PartyRow(
                    contract_id=contract_id,
                    party_id=party.id,
                    role=party.role.value,
                    name=party.name,
                )
            )
            continue
        if row.role != party.role.value:
            moved.append(party.id)
        row.role, row.name = party.role.value, party.name
    session.flush()
    changes = {"parties_removed": removed, "parties_added": sorted(added)}
    changes["parties_role_changed"] = sorted(moved)
    return {key: ids for key, ids in changes.items() if ids}


def require_contract(session: Session, contract_id: str) -> ContractRow:
    """The contract's row, or UnknownContract."""
    row = session.get(ContractRow, contract_id)
    if row is None:
        raise UnknownContract(contract_id)
    return row


def activate_version(
    session: Session, contract_id: str, version: int, actor: str, now: datetime
) -> Activated:
    """Put `version` of the contract in force (a new activation fact; no version row changes).

    Activating the version already in force records nothing. The activated spec's parties
    become the contract's parties (names and roles), as when a version is loaded in force: a
    party it does not name loses its reach, one it names again has it back.
    """
    require_contract(session, contract_id)
    try:
        row = spec_version(session, contract_id, version)
    except KeyError:
        raise UnknownSpecVersion(contract_id, version) from None
    previous = version_in_force(session, contract_id)
    if previous == version:
        return Activated(contract_id, version, previous, False)
    details: dict[str, Any] = {
        "version": version,
        "previous": previous,
        "content_hash": row.content_hash,
    }
    details.update(_mirror_parties(session, contract_id, typed_spec(row).parties))
    audit.record(session, actor, ACTIVATE, f"contract:{contract_id}", now, details)
    session.flush()
    return Activated(contract_id, version, previous, True)


def active_version(session: Session, contract_id: str) -> SpecVersion:
    """The stored spec version in force for the contract."""
    require_contract(session, contract_id)
    version = version_in_force(session, contract_id)
    if version is None:
        raise NoActiveSpec(contract_id)
    return spec_version(session, contract_id, version)


def spec_version(session: Session, contract_id: str, version: int) -> SpecVersion:
    """One stored spec version of a contract (KeyError when there is none)."""
    row = session.scalars(
        select(SpecVersion).where(
            col(SpecVersion.contract_id) == contract_id, col(SpecVersion.version) == version
        )
    ).first()
    if row is None:
        raise KeyError(f"{contract_id} v{version}")
    return row


_PARSED: dict[str, ContractSpec] = {}


def active_spec(session: Session, contract_id: str, parse: SpecParser | None = None) -> ActiveSpec:
    """The typed spec in force for the contract (parsed once per content hash)."""
    row = active_version(session, contract_id)
    return ActiveSpec(row.version, typed_spec(row, parse))


def typed_spec(row: SpecVersion, parse: SpecParser | None = None) -> ContractSpec:
    """The typed spec of a stored version, parsed from its document (cached by content hash)."""
    cached = _PARSED.get(row.content_hash)
    if cached is None:
        cached = (parse or spec_from_document)(row.document)
        _PARSED[row.content_hash] = cached
    return cached


def remember(spec: ContractSpec) -> None:
    """Seed the parse cache with an already-typed spec (saves parsing what was just loaded)."""
    _PARSED[spec.content_hash] = spec


def spec_document(text: str, source: str, spec: ContractSpec) -> dict[str, Any]:
    """What a spec version stores: the author's text (to rebuild the typed spec exactly) and
    the canonical JSON its content hash is taken over (to read without the loader)."""
    return {
        "source": Path(source).name,
        "text": text,
        "canonical": json.loads(canonical_json(spec)),
    }


def spec_from_document(document: Mapping[str, Any]) -> ContractSpec:
    """Rebuild the typed spec of a stored version from the author's text."""
    return parse_spec_text(document["text"], document["source"])


def load_spec_file(
    session: Session, path: Path, *, actor: str, now: datetime, active: bool = True
) -> Registered:
    """Check a spec file and register it (SpecError carrying every finding when it has errors)."""
    checked = read_spec_file(path)
    if checked.spec is None:
        raise SpecError(checked.source, list(checked.findings))
    text = path.read_text(encoding="utf-8")
    document = spec_document(text, str(path), checked.spec)
    registered = register_spec(session, checked.spec, document, actor=actor, now=now, active=active)
    remember(checked.spec)
    return registered
