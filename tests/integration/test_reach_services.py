"""Reach follows the spec in force (issue 13, finding 3), in the ledger's own services.

The parties table mirrors the version in force: a party the version now in force no longer
names loses its reach (its tokens authenticate to nothing), a draft changes nothing until it is
activated, and activating an older version that names the party again restores it. A token is
issued only for contracts whose version in force names its party in its role, and only for the
contracts it names: a party id means an organisation only within its contract.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select
from sqlmodel import col

from api.cli import main
from contract_specs.model import ContractSpec, Party, Role
from ledger.services.contracts import activate_version, register_spec, remember
from ledger.storage.db import unit_of_work
from ledger.storage.tables import AuditLog, PartyRow
from ledger.storage.tokens import TokenError, authenticate, create_token

CONTRACT = "dwp-test"


def _version(
    spec: ContractSpec, tag: str, *, drop: str = "", add: Party | None = None
) -> ContractSpec:
    parties = tuple(p for p in spec.parties if p.id != drop) + ((add,) if add else ())
    changed = dataclasses.replace(spec, parties=parties, content_hash=f"reach-{tag}")
    remember(changed)
    return changed


def _load(engine: Engine, spec: ContractSpec, now: datetime, *, active: bool = True) -> int:
    with unit_of_work(engine) as session:
        done = register_spec(
            session, spec, {"tag": spec.content_hash}, actor="t", now=now, active=active
        )
    return done.version


def _activate(engine: Engine, version: int, now: datetime) -> None:
    with unit_of_work(engine) as session:
        activate_version(session, CONTRACT, version, "intermediary:manager", now)


def _parties(engine: Engine) -> dict[str, str]:
    with unit_of_work(engine) as session:
        rows = session.scalars(select(PartyRow).where(col(PartyRow.contract_id) == CONTRACT))
        return {r.party_id: r.role for r in rows}


def _token(engine: Engine, role: str, party: str, now: datetime) -> str:
    with unit_of_work(engine) as session:
        return create_token(session, role, party, [CONTRACT], actor="t", now=now).secret


def _reaches(engine: Engine, secret: str) -> frozenset[str] | None:
    with unit_of_work(engine) as session:
        caller = authenticate(session, secret)
    return None if caller is None else caller.contracts


def test_parties_mirror_the_version_in_force(
    engine: Engine, spec: ContractSpec, now: datetime
) -> None:
    remember(spec)
    _load(engine, spec, now)
    assert "topup" in _parties(engine)
    without_topup = _load(engine, _version(spec, "no-topup", drop="topup"), now)
    assert "topup" not in _parties(engine)
    # a draft that drops acme changes nothing until it is put in force
    draft = _load(engine, _version(spec, "no-acme", drop="acme"), now, active=False)
    assert {"acme", "dwp"} <= set(_parties(engine)) and "topup" not in _parties(engine)
    _activate(engine, draft, now)
    assert "acme" not in _parties(engine) and "topup" in _parties(engine)
    _activate(engine, without_topup, now)
    assert _parties(engine) == {
        "dwp": "commissioner", "acme": "provider", "fund": "investor", "manager": "intermediary"
    }  # fmt: skip


def test_the_activation_records_whose_reach_it_ended_and_began(
    engine: Engine, spec: ContractSpec, now: datetime
) -> None:
    remember(spec)
    _load(engine, spec, now)
    bravo = Party("bravo", Role.PROVIDER, "Bravo Services")
    _load(engine, _version(spec, "bravo-not-acme", drop="acme", add=bravo), now)
    with unit_of_work(engine) as session:
        entry = session.scalars(select(AuditLog).order_by(col(AuditLog.id).desc())).first()
        assert entry is not None
        assert (entry.action, entry.details["parties_removed"]) == ("spec.load", ["acme"])
        assert entry.details["parties_added"] == ["bravo"]


def test_a_dropped_party_authenticates_to_nothing_until_named_again(
    engine: Engine, spec: ContractSpec, now: datetime
) -> None:
    remember(spec)
    first = _load(engine, spec, now)
    acme = _token(engine, "provider", "acme", now)
    assert _reaches(engine, acme) == frozenset({CONTRACT})
    draft = _load(engine, _version(spec, "no-acme", drop="acme"), now, active=False)
    assert _reaches(engine, acme) == frozenset({CONTRACT})  # a draft changes nothing
    _activate(engine, draft, now)
    assert _reaches(engine, acme) == frozenset()
    # putting the older version back names acme again: its token (suspended, never revoked)
    # reaches the contract again
    _activate(engine, first, now)
    assert _reaches(engine, acme) == frozenset({CONTRACT})


def test_a_party_whose_role_changed_loses_the_old_roles_reach(
    engine: Engine, spec: ContractSpec, now: datetime
) -> None:
    remember(spec)
    _load(engine, spec, now)
    topup = _token(engine, "commissioner", "topup", now)
    moved = _version(spec, "topup-evaluates", drop="topup", add=Party("topup", Role.EVALUATOR, "T"))
    _load(engine, moved, now)
    assert _reaches(engine, topup) == frozenset()


@pytest.mark.parametrize("contracts", [[], None])
def test_a_token_names_its_contracts(
    engine: Engine, spec: ContractSpec, now: datetime, contracts: list[str] | None
) -> None:
    remember(spec)
    _load(engine, spec, now)
    with pytest.raises(TokenError, match="name the contract"), unit_of_work(engine) as session:
        create_token(session, "provider", "acme", contracts, actor="t", now=now)


def test_a_token_is_refused_for_a_party_not_in_force(
    engine: Engine, spec: ContractSpec, now: datetime
) -> None:
    remember(spec)
    _load(engine, spec, now)
    _load(engine, _version(spec, "no-topup", drop="topup"), now)
    _load(
        engine,
        _version(spec, "bravo-draft", add=Party("bravo", Role.PROVIDER, "B")),
        now,
        active=False,
    )

    def refused(role: str, party: str, contract: str = CONTRACT) -> str:
        with pytest.raises(TokenError) as caught, unit_of_work(engine) as session:
            create_token(session, role, party, [contract], actor="t", now=now)
        return str(caught.value)

    dropped = refused("commissioner", "topup")
    assert "'topup' is not a commissioner of contract 'dwp-test'" in dropped
    assert "version 2, in force" in dropped
    # named only by a draft: not until that draft is put in force
    assert "'bravo' is not a provider" in refused("provider", "bravo")
    # named, but in another role
    other_role = refused("commissioner", "acme")
    assert "'acme' is a provider of contract 'dwp-test' (version 2, in force)" in other_role
    assert "not a commissioner" in other_role
    assert "contract 'nowhere' is not loaded" in refused("provider", "acme", "nowhere")


def test_a_token_reaches_only_the_contracts_it_names(
    engine: Engine, spec: ContractSpec, now: datetime
) -> None:
    remember(spec)
    _load(engine, spec, now)
    other = dataclasses.replace(
        spec,
        contract=dataclasses.replace(spec.contract, id="other", name="Another council's contract"),
        content_hash="reach-other",
    )
    remember(other)
    _load(engine, other, now)
    # "dwp" names an organisation in each contract: the same id, not the same party
    only_here = _token(engine, "commissioner", "dwp", now)
    assert _reaches(engine, only_here) == frozenset({CONTRACT})
    with unit_of_work(engine) as session:
        both = create_token(session, "commissioner", "dwp", [CONTRACT, "other"], actor="t", now=now)
    assert both.caller.contracts == {CONTRACT, "other"}
    assert _reaches(engine, both.secret) == frozenset({CONTRACT, "other"})
    with unit_of_work(engine) as session:
        made = session.scalars(
            select(AuditLog).where(col(AuditLog.subject) == f"token:{both.caller.token_id}")
        ).one()
        assert made.details["contracts"] == [CONTRACT, "other"]


def _cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_the_cli_issues_tokens_only_for_named_contracts_in_force(
    cli_env: str, engine: Engine, spec: ContractSpec, now: datetime
) -> None:
    remember(spec)
    _load(engine, spec, now)
    code, _, err = _cli("token", "create", "--role", "provider", "--party", "acme")
    assert code == 2 and "--contract" in err
    code, _, err = _cli(
        "token", "create", "--role", "provider", "--party", "bravo", "--contract", CONTRACT
    )
    assert code == 1 and "'bravo' is not a provider of contract 'dwp-test'" in err
    assert "Traceback" not in err
    code, out, err = _cli(
        "token", "create", "--role", "provider", "--party", "acme", "--contract", CONTRACT
    )
    assert code == 0 and out.startswith("olt_") and "provider:acme in dwp-test" in err
    _load(engine, _version(spec, "no-acme", drop="acme"), now)
    code, out, _ = _cli("token", "list")
    assert code == 0
    (line,) = out.splitlines()
    assert " provider:acme dwp-test reaches nothing: not named in force by dwp-test" in line
