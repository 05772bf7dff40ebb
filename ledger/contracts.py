"""Registering spec versions and finding the one in force.

A spec version is immutable: loading the same content again is a no-op, new content becomes the
next version number of its contract. The version in force is the highest-numbered one loaded
active (a draft is loaded inactive and never becomes active: load it again as active).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from contract_specs.canonical import canonical_json
from contract_specs.findings import SpecError
from contract_specs.loader import parse_spec_text, read_spec_file
from contract_specs.model import ContractSpec
from ledger import audit
from ledger.errors import NoActiveSpec, UnknownContract
from ledger.tables import ContractRow, PartyRow, SpecVersion

# Builds the typed spec from a stored document (default: spec_from_document).
SpecParser = Callable[[Mapping[str, Any]], ContractSpec]


@dataclass(frozen=True)
class Registered:
    """What loading a spec did: the version number and whether it was new."""

    contract_id: str
    version: int
    created: bool
    active: bool


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
        return Registered(contract_id, existing.version, False, existing.active)
    if session.get(ContractRow, contract_id) is None:
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
    if active:
        _register_parties(session, spec)
    audit.record(
        session,
        actor,
        "spec.load",
        f"contract:{contract_id}",
        now,
        {"version": version, "content_hash": spec.content_hash, "active": active},
    )
    session.flush()
    return Registered(contract_id, version, True, active)


def _register_parties(session: Session, spec: ContractSpec) -> None:
    # Parties are reference data (names for reports, roles for tokens), not facts: the
    # newest active spec's wording wins.
    for party in spec.parties:
        row = session.get(PartyRow, (spec.contract.id, party.id))
        if row is None:
            session.add(
                PartyRow(
                    contract_id=spec.contract.id,
                    party_id=party.id,
                    role=party.role.value,
                    name=party.name,
                )
            )
        else:
            row.role, row.name = party.role.value, party.name


def require_contract(session: Session, contract_id: str) -> ContractRow:
    """The contract's row, or UnknownContract."""
    row = session.get(ContractRow, contract_id)
    if row is None:
        raise UnknownContract(contract_id)
    return row


def active_version(session: Session, contract_id: str) -> SpecVersion:
    """The stored spec version in force for the contract."""
    require_contract(session, contract_id)
    row = session.scalars(
        select(SpecVersion)
        .where(col(SpecVersion.contract_id) == contract_id, col(SpecVersion.active).is_(True))
        .order_by(col(SpecVersion.version).desc())
        .limit(1)
    ).first()
    if row is None:
        raise NoActiveSpec(contract_id)
    return row


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
