"""Contracts and their spec versions: check a spec, load a version, read and compare versions.

A spec is sent as the raw body: JSON when the Content-Type says json, YAML otherwise; a body
over MAX_SPEC_BYTES is 413 before it is read, and anchors and aliases are refused. Loading
is for intermediaries: a new contract only when its spec names the caller as an intermediary
(the caller's token then reaches the new contract too), an existing one only when the caller
already is one of its intermediaries.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter, RawBody
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from api.auth import allow, reach, visible
from api.controllers.params import IdempotencyKey, VersionNumber
from api.controllers.responses import READ, WRITE, SpecBodyOperation, errors
from api.controllers.writes import idempotent, json_or_bytes, now, request_hash
from api.dto import (
    ActivatedOut,
    ComparisonOut,
    ContractOut,
    DifferenceOut,
    FindingOut,
    PartyOut,
    RegisteredOut,
    ValidationOut,
    VersionDetail,
    VersionOut,
)
from api.errors import ApiProblem, not_found
from contract_specs.canonical import canonical_json
from contract_specs.findings import child_step
from contract_specs.loader import MAX_SPEC_BYTES, CheckedSpec, check_spec_text
from contract_specs.model import ContractSpec, Role
from ledger.services.contracts import (
    activate_version,
    checked_text,
    register_checked,
    spec_version,
    typed_spec,
)
from ledger.storage.db import reading, unit_of_work
from ledger.storage.tables import ContractRow, PartyRow, SpecVersion
from ledger.storage.tokens import Caller, link_token
from ledger.storage.versions import version_in_force

Draft = Annotated[
    bool,
    QueryParameter(description="Store the version without putting it in force."),
]


def spec_source(request: Request[Any, Any, Any]) -> str:
    """The name a spec sent as the body is read under: JSON or YAML, by its Content-Type."""
    kind = request.headers.get("content-type", "")
    return "spec.json" if "json" in kind.lower() else "spec.yaml"


def spec_text(body: bytes) -> str:
    """A spec body as text (422 at `$` when it is not UTF-8)."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiProblem(
            422,
            "invalid_spec",
            "the spec is not UTF-8 text",
            [{"path": "$", "message": "save the file as UTF-8 and send it again"}],
        ) from None


def _findings(checked: CheckedSpec) -> ValidationOut:
    def out(items: Any) -> list[FindingOut]:
        return [FindingOut(f.path, f.message, f.line) for f in items]

    spec = checked.spec
    return ValidationOut(
        valid=spec is not None,
        contract_id=spec.contract.id if spec else None,
        content_hash=spec.content_hash if spec else None,
        errors=out(checked.errors),
        warnings=out(checked.warnings),
    )


def _contract_out(session: Session, row: ContractRow) -> ContractOut:
    version = version_in_force(session, row.id)
    parties = session.scalars(
        select(PartyRow).where(col(PartyRow.contract_id) == row.id).order_by(col(PartyRow.party_id))
    ).all()
    return ContractOut(
        row.id,
        row.name,
        row.currency,
        version,
        [PartyOut(p.party_id, p.role, p.name) for p in parties],
    )


def _version_out(row: SpecVersion, in_force: int | None) -> VersionOut:
    active = row.version == in_force
    return VersionOut(row.version, row.content_hash, active, row.loaded_at, row.loaded_by)


def _stored_version(session: Session, contract_id: str, version: int) -> SpecVersion:
    try:
        return spec_version(session, contract_id, version)
    except KeyError:
        raise not_found(f"version {version} of contract {contract_id!r}") from None


def _may_load(session: Session, caller: Caller, contract_id: str, spec: ContractSpec) -> bool:
    """Whether the caller may load `spec` into the contract (ApiProblem when not); True when
    the contract is new."""
    if spec.contract.id != contract_id:
        raise ApiProblem(
            422,
            "invalid_spec",
            "the spec is for another contract than the one in the URL",
            [
                {
                    "path": "$.contract.id",
                    "message": f"is {spec.contract.id!r}, the URL says "
                    f"{contract_id!r}: send it to /api/contracts/{spec.contract.id}/versions",
                }
            ],
        )
    if session.get(ContractRow, contract_id) is not None:
        reach(session, caller, contract_id)
        return False
    if caller.party_id not in {p.id for p in spec.parties_with(Role.INTERMEDIARY)}:
        raise ApiProblem(
            403,
            "forbidden",
            "a new contract's spec must name you as its intermediary",
            [
                {
                    "path": "$.parties",
                    "message": f"add party {caller.party_id!r} with role "
                    "intermediary, or ask that contract's intermediary to load it",
                }
            ],
        )
    return True


def differences(before: Any, after: Any, path: str = "$") -> list[DifferenceOut]:
    """Every JSON path where two JSON documents differ, in document order."""
    if isinstance(before, dict) and isinstance(after, dict):
        found: list[DifferenceOut] = []
        for key in [*before, *(k for k in after if k not in before)]:
            here = path + child_step(key)
            if key not in after:
                found.append(DifferenceOut(here, before=before[key]))
            elif key not in before:
                found.append(DifferenceOut(here, after=after[key]))
            else:
                found.extend(differences(before[key], after[key], here))
        return found
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return [
            d
            for index, (a, b) in enumerate(zip(before, after, strict=True))
            for d in differences(a, b, path + child_step(index))
        ]
    return [] if before == after else [DifferenceOut(path, before, after)]


class ContractsController(Controller):
    """Contracts the caller is a party of, and their spec versions."""

    path = "/api"
    tags = ("contracts",)

    @post(
        "/specs/validate",
        operation_id="validateSpec",
        summary="Check a spec (YAML, or JSON with a json Content-Type) without storing it",
        responses=errors(401, 413, 422, 503),
        operation_class=SpecBodyOperation,
        status_code=200,
        request_max_body_size=MAX_SPEC_BYTES,
        sync_to_thread=True,
    )
    def validate(self, body: RawBody, request: Request[Any, Any, Any]) -> ValidationOut:
        """Every error and warning at once, each at its JSON path and source line."""
        return _findings(check_spec_text(spec_text(body), spec_source(request)))

    @get(
        "/contracts",
        operation_id="listContracts",
        responses=errors(401, 503),
        sync_to_thread=True,
    )
    def list_contracts(
        self, caller: NamedDependency[Caller], engine: NamedDependency[Engine]
    ) -> list[ContractOut]:
        """The contracts that name the caller's party in the caller's role."""
        with reading(engine) as session:
            return [
                _contract_out(session, reach(session, caller, c)) for c in visible(session, caller)
            ]

    @get(
        "/contracts/{contract_id:str}",
        operation_id="getContract",
        responses=READ,
        sync_to_thread=True,
    )
    def get_contract(
        self,
        contract_id: FromPath[str],
        caller: NamedDependency[Caller],
        engine: NamedDependency[Engine],
    ) -> ContractOut:
        """A contract: its currency, the version in force and its parties."""
        with reading(engine) as session:
            return _contract_out(session, reach(session, caller, contract_id))

    @get(
        "/contracts/{contract_id:str}/versions",
        operation_id="listSpecVersions",
        responses=READ,
        sync_to_thread=True,
    )
    def list_versions(
        self,
        contract_id: FromPath[str],
        caller: NamedDependency[Caller],
        engine: NamedDependency[Engine],
    ) -> list[VersionOut]:
        """Every spec version of the contract, oldest first (drafts included)."""
        with reading(engine) as session:
            reach(session, caller, contract_id)
            rows = session.scalars(
                select(SpecVersion)
                .where(col(SpecVersion.contract_id) == contract_id)
                .order_by(col(SpecVersion.version))
            ).all()
            in_force = version_in_force(session, contract_id)
            return [_version_out(row, in_force) for row in rows]

    @post(
        "/contracts/{contract_id:str}/versions",
        operation_id="loadSpecVersion",
        summary="Load a spec as the contract's next version (YAML, or JSON)",
        responses=WRITE,
        operation_class=SpecBodyOperation,
        guards=[allow(Role.INTERMEDIARY)],
        request_max_body_size=MAX_SPEC_BYTES,
        sync_to_thread=True,
    )
    def load(
        self,
        contract_id: FromPath[str],
        body: RawBody,
        request: Request[Any, Any, Any],
        caller: NamedDependency[Caller],
        engine: NamedDependency[Engine],
        draft: Draft = False,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[RegisteredOut]:
        """201 with the new version number; 200 when the same content is already a version."""
        source = spec_source(request)
        text = spec_text(body)
        content = json_or_bytes(body) if source.endswith(".json") else body
        fingerprint = request_hash("POST", request.url.path, str(draft), source, content)
        # checked before the write transaction opens: parsing is the costly part
        checked = checked_text(text, source)
        with unit_of_work(engine) as session:
            if session.get(ContractRow, contract_id) is not None:
                # before any replay: a stored answer is only for those who reach the contract
                # (another organisation may use the same party id in its own contract)
                reach(session, caller, contract_id)

            def write() -> tuple[int, Any]:
                new = _may_load(session, caller, contract_id, checked.spec)
                done = register_checked(
                    session, checked, actor=caller.actor, now=now(), active=not draft
                )
                if new:
                    # the intermediary who writes a new contract reaches it with the token
                    # it wrote it with (its spec names that party as intermediary)
                    link_token(session, caller, contract_id, actor=caller.actor, now=now())
                out = RegisteredOut(done.contract_id, done.version, done.created, done.active)
                return (201 if done.created else 200), asdict(out)

            return idempotent(session, caller, idempotency_key, fingerprint, write)

    @get(
        "/contracts/{contract_id:str}/versions/{version:int}",
        operation_id="getSpecVersion",
        responses=READ,
        sync_to_thread=True,
    )
    def get_version(
        self,
        contract_id: FromPath[str],
        version: VersionNumber,
        caller: NamedDependency[Caller],
        engine: NamedDependency[Engine],
    ) -> VersionDetail:
        """One version: the author's text and the canonical JSON its hash is taken over."""
        with reading(engine) as session:
            reach(session, caller, contract_id)
            row = _stored_version(session, contract_id, version)
            in_force = version_in_force(session, contract_id)
            return VersionDetail(
                **asdict(_version_out(row, in_force)),
                source=str(row.document.get("source", "")),
                text=str(row.document.get("text", "")),
                canonical=json.loads(canonical_json(typed_spec(row))),
            )

    @post(
        "/contracts/{contract_id:str}/versions/{version:int}/activate",
        operation_id="activateSpecVersion",
        summary="Put a stored spec version in force (a draft, or an earlier version again)",
        responses=WRITE,
        guards=[allow(Role.INTERMEDIARY)],
        status_code=200,
        sync_to_thread=True,
    )
    def activate(
        self,
        contract_id: FromPath[str],
        version: VersionNumber,
        request: Request[Any, Any, Any],
        caller: NamedDependency[Caller],
        engine: NamedDependency[Engine],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[ActivatedOut]:
        """The version in force before and now; `changed` is false when it already was.

        No version is edited: the activation is recorded (who, when) and the next
        reconciliation computes what is owed under the version in force."""
        fingerprint = request_hash("POST", request.url.path)
        with unit_of_work(engine) as session:
            reach(session, caller, contract_id)
            _stored_version(session, contract_id, version)

            def write() -> tuple[int, Any]:
                done = activate_version(session, contract_id, version, caller.actor, now())
                out = ActivatedOut(done.contract_id, done.version, done.previous, done.changed)
                return 200, asdict(out)

            return idempotent(session, caller, idempotency_key, fingerprint, write)

    @get(
        "/contracts/{contract_id:str}/versions/{version:int}/compare/{other:int}",
        operation_id="compareSpecVersions",
        responses=READ,
        sync_to_thread=True,
    )
    def compare(
        self,
        contract_id: FromPath[str],
        version: VersionNumber,
        other: VersionNumber,
        caller: NamedDependency[Caller],
        engine: NamedDependency[Engine],
    ) -> ComparisonOut:
        """What changed from `version` to `other`: each JSON path with its value before and
        after (over the canonical JSON, so layout and key order never show as changes)."""
        with reading(engine) as session:
            reach(session, caller, contract_id)
            docs = [
                json.loads(canonical_json(typed_spec(_stored_version(session, contract_id, v))))
                for v in (version, other)
            ]
        return ComparisonOut(contract_id, version, other, differences(*docs))
