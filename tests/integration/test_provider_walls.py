"""Providers are walled off from each other (issue 13, finding 2), on both backends.

A participant's ledger key is `<provider>/<local id>` and an evidence row's `<provider of the
participant>/<local evidence id>`: two providers may use the same local ids, a provider's file
is only ever compared with its own namespace, and the intermediary (who sees everyone) names a
participant by its qualified key, by a local id and a `provider` column, or by a local id that
exactly one provider has.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook
from sqlalchemy import Engine, select
from sqlmodel import col

from api.cli import main
from contract_specs.model import ContractSpec, Party, Role
from ledger.domain.errors import RejectedUpload
from ledger.services.contracts import ActiveSpec, register_spec, remember
from ledger.services.enrolment import import_participants
from ledger.services.evidence import import_evidence
from ledger.storage.db import unit_of_work
from ledger.storage.sealed import opened_attributes
from ledger.storage.tables import Evidence, Participant
from ledger.storage.uploads import ImportSummary
from tests.conftest import small_spec

CONTRACT = "dwp-test"
PEOPLE_HEADER = "participant_id,cohort,provider,start_date,date_of_birth\n"
EVIDENCE_HEADER = "evidence_id,participant_id,metric,achieved_on,evidence_type,quantity,reference\n"


def two_providers() -> ContractSpec:
    """The small spec with a second provider, Bravo, beside Acme."""
    spec = small_spec()
    parties = (*spec.parties, Party("bravo", Role.PROVIDER, "Bravo Services"))
    return dataclasses.replace(spec, parties=parties, content_hash="walls-two-providers")


@pytest.fixture
def walled(engine: Engine, now: datetime) -> ActiveSpec:
    spec = two_providers()
    with unit_of_work(engine) as session:
        register_spec(session, spec, {"walls": True}, actor="test", now=now)
    remember(spec)
    return ActiveSpec(1, spec)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def person(pid: str, provider: str, born: str = "1995-06-01", start: str = "2015-02-01") -> str:
    return f"{pid},c1,{provider},{start},{born}\n"


def enrol(engine: Engine, active: ActiveSpec, path: Path, now: datetime) -> ImportSummary:
    with unit_of_work(engine) as session:
        return import_participants(session, CONTRACT, active, path, actor="test", now=now)


def submit(
    engine: Engine, active: ActiveSpec, path: Path, now: datetime, provider: str | None
) -> ImportSummary:
    with unit_of_work(engine) as session:
        return import_evidence(
            session, CONTRACT, active, path, actor="test", now=now, provider=provider
        )


def refusal(action: Callable[[], object]) -> list[str]:
    with pytest.raises(RejectedUpload) as caught:
        action()
    return caught.value.lines()


def keys(engine: Engine, column: str) -> list[str]:
    """The stored values of a key column, such as Evidence.evidence_id, in order."""
    with unit_of_work(engine) as session:
        return sorted(session.scalars(select(col(column))).all())


def test_two_providers_enrol_the_same_local_id_as_two_people(
    engine: Engine, walled: ActiveSpec, tmp_path: Path, now: datetime
) -> None:
    acme = write(tmp_path, "acme.csv", PEOPLE_HEADER + person("P1", "acme", "1995-06-01"))
    bravo = write(tmp_path, "bravo.csv", PEOPLE_HEADER + person("P1", "bravo", "1999-03-01"))
    assert str(enrol(engine, walled, acme, now)) == "1 new, 0 unchanged"
    assert str(enrol(engine, walled, bravo, now)) == "1 new, 0 unchanged"
    assert keys(engine, Participant.participant_id) == ["acme/P1", "bravo/P1"]
    # one intermediary file may carry both providers' P1 too: they are different people
    both = write(tmp_path, "both.csv", PEOPLE_HEADER + person("P2", "acme") + person("P2", "bravo"))
    assert str(enrol(engine, walled, both, now)) == "2 new, 0 unchanged"


def test_another_providers_id_answers_exactly_as_an_unknown_id(
    engine: Engine, walled: ActiveSpec, tmp_path: Path, now: datetime
) -> None:
    enrol(engine, walled, write(tmp_path, "a.csv", PEOPLE_HEADER + person("P1", "acme")), now)
    # Bravo probes Acme's P1 with a birth date, then an id nobody has: the same answer
    probe = write(tmp_path, "probe.csv", PEOPLE_HEADER + person("P1", "bravo", "1992-01-01"))
    unknown = write(tmp_path, "unknown.csv", PEOPLE_HEADER + person("Q7", "bravo", "1992-01-01"))
    assert str(enrol(engine, walled, probe, now)) == "1 new, 0 unchanged"
    assert str(enrol(engine, walled, unknown, now)) == "1 new, 0 unchanged"
    # from then on only Bravo's own P1 is compared: a conflict is about Bravo's own record
    again = write(tmp_path, "again.csv", PEOPLE_HEADER + person("P1", "bravo", "1993-01-01"))
    assert refusal(lambda: enrol(engine, walled, again, now)) == [
        "again.csv:2: participant_id: already enrolled with different date_of_birth: a stored "
        "participant cannot be changed by upload"
    ]
    same = write(tmp_path, "same.csv", PEOPLE_HEADER + person("P1", "bravo", "1992-01-01"))
    assert str(enrol(engine, walled, same, now)) == "0 new, 1 unchanged"
    with unit_of_work(engine) as session:
        acme = session.scalars(
            select(Participant).where(col(Participant.participant_id) == "acme/P1")
        ).one()
        opened = opened_attributes(session.connection(), acme.contract_id, [acme.participant_id])
    assert opened[acme.participant_id]["date_of_birth"] == "1995-06-01"


def test_squatted_ids_cannot_refuse_another_providers_file(
    engine: Engine, walled: ActiveSpec, tmp_path: Path, now: datetime
) -> None:
    squat = PEOPLE_HEADER + "".join(person(f"P{n}", "bravo", "1992-01-01") for n in (1, 2))
    enrol(engine, walled, write(tmp_path, "squat.csv", squat), now)
    real = PEOPLE_HEADER + person("P1", "acme") + person("P2", "acme")
    assert str(enrol(engine, walled, write(tmp_path, "acme.csv", real), now)) == (
        "2 new, 0 unchanged"
    )
    squatted = EVIDENCE_HEADER + "E1,P1,job_entry,2015-03-01,payslip,,\n"
    submit(engine, walled, write(tmp_path, "squat-e.csv", squatted), now, "bravo")
    mine = EVIDENCE_HEADER + "E1,P1,job_entry,2015-04-01,employer_letter,,REF-9\n"
    assert str(submit(engine, walled, write(tmp_path, "e.csv", mine), now, "acme")) == (
        "1 new, 0 unchanged"
    )
    assert keys(engine, Evidence.evidence_id) == ["acme/E1", "bravo/E1"]


def test_a_provider_cannot_reach_another_providers_participant_with_evidence(
    engine: Engine, walled: ActiveSpec, tmp_path: Path, now: datetime
) -> None:
    people = PEOPLE_HEADER + person("P1", "acme") + person("B1", "bravo")
    enrol(engine, walled, write(tmp_path, "p.csv", people), now)
    theirs = write(
        tmp_path, "theirs.csv", EVIDENCE_HEADER + "E1,P1,job_entry,2015-03-01,payslip,,\n"
    )
    nobody = write(
        tmp_path, "nobody.csv", EVIDENCE_HEADER + "E1,Z9,job_entry,2015-03-01,payslip,,\n"
    )
    qualified = write(
        tmp_path, "qualified.csv", EVIDENCE_HEADER + "E1,acme/P1,job_entry,2015-03-01,payslip,,\n"
    )
    said = [refusal(partial(submit, engine, walled, f, now, "bravo")) for f in (theirs, nobody)]
    assert [line.split(":", 1)[1] for line in said[0]] == [
        line.split(":", 1)[1] for line in said[1]
    ]
    assert said[0] == [
        "theirs.csv:2: participant_id: is not one of your enrolled participants: enrol the "
        "participant first"
    ]
    # a provider writes its own ids: a qualified one (a slash) is not an id it can send
    (line,) = refusal(lambda: submit(engine, walled, qualified, now, "bravo"))
    assert line.startswith("qualified.csv:2: participant_id: ")
    assert keys(engine, Evidence.evidence_id) == []


def test_intermediary_names_participants_qualified_by_provider_column_or_unambiguously(
    engine: Engine, walled: ActiveSpec, tmp_path: Path, now: datetime
) -> None:
    people = PEOPLE_HEADER + person("P1", "acme") + person("P1", "bravo") + person("A2", "acme")
    enrol(engine, walled, write(tmp_path, "p.csv", people), now)
    ambiguous = write(
        tmp_path, "amb.csv", EVIDENCE_HEADER + "E1,P1,job_entry,2015-03-01,payslip,,\n"
    )
    assert refusal(lambda: submit(engine, walled, ambiguous, now, None)) == [
        "amb.csv:2: participant_id: is enrolled by more than one provider (acme, bravo): write "
        "it as provider/id (like acme/P1) or add a provider column"
    ]
    good = write(
        tmp_path,
        "good.csv",
        "evidence_id,participant_id,metric,achieved_on,evidence_type,quantity,reference,provider\n"
        "E1,acme/P1,job_entry,2015-03-01,payslip,,,\n"
        "E1,P1,job_entry,2015-03-02,payslip,,,bravo\n"
        "E2,A2,job_entry,2015-03-03,payslip,,,\n"
        "bravo/E3,bravo/P1,nqf2,2015-05-01,,,,\n",
    )
    assert str(submit(engine, walled, good, now, None)) == "4 new, 0 unchanged"
    with unit_of_work(engine) as session:
        stored = session.execute(
            select(col(Evidence.evidence_id), col(Evidence.participant_id))
        ).all()
    assert sorted(tuple(row) for row in stored) == [
        ("acme/E1", "acme/P1"),
        ("acme/E2", "acme/A2"),
        ("bravo/E1", "bravo/P1"),
        ("bravo/E3", "bravo/P1"),
    ]
    # an evidence id qualified with another provider than its participant's is refused
    wrong = write(tmp_path, "wrong.csv", EVIDENCE_HEADER + "bravo/E4,acme/P1,nqf2,2015-05-01,,,\n")
    (line,) = refusal(lambda: submit(engine, walled, wrong, now, None))
    assert line.startswith("wrong.csv:2: evidence_id: ") and "acme" in line


def _decide(folder: Path, text: str) -> tuple[int, str, str]:
    path = write(folder, "decisions.csv", "evidence_id,decision,reason\n" + text)
    result = CliRunner().invoke(main, ["evidence", "verify", CONTRACT, str(path)])
    return result.exit_code, result.stdout, result.stderr


def test_intermediary_decisions_and_explain_resolve_local_ids(
    cli_env: str, engine: Engine, walled: ActiveSpec, tmp_path: Path, now: datetime
) -> None:
    people = PEOPLE_HEADER + person("P1", "acme") + person("P1", "bravo")
    enrol(engine, walled, write(tmp_path, "p.csv", people), now)
    evidence = (
        "evidence_id,participant_id,metric,achieved_on,evidence_type,quantity,reference,provider\n"
        "E1,P1,job_entry,2015-03-01,payslip,,,acme\n"
        "E1,P1,job_entry,2015-03-01,payslip,,,bravo\n"
        "E2,P1,nqf2,2015-05-01,,,,bravo\n"
    )
    submit(engine, walled, write(tmp_path, "e.csv", evidence), now, None)
    code, _, err = _decide(tmp_path, "E1,verified,\n")
    assert code == 1
    assert err.splitlines()[0] == (
        "decisions.csv:2: evidence_id: is evidence of more than one provider (acme, bravo): "
        "write it as provider/id (like acme/E1) or add a provider column"
    )
    assert _decide(tmp_path, "acme/E1,verified,\nE2,verified,\n")[:2] == (0, "2 new, 0 unchanged\n")
    path = write(tmp_path, "by.csv", "evidence_id,decision,reason,provider\nE1,verified,,bravo\n")
    result = CliRunner().invoke(main, ["evidence", "verify", CONTRACT, str(path)])
    assert (result.exit_code, result.stdout) == (0, "1 new, 0 unchanged\n")

    explain = CliRunner().invoke(main, ["ledger", "explain", CONTRACT, "P1"])
    assert explain.exit_code == 1
    assert "more than one provider (acme, bravo)" in explain.stderr
    explain = CliRunner().invoke(main, ["ledger", "explain", CONTRACT, "bravo/P1"])
    assert explain.exit_code == 0, explain.output
    assert explain.stdout.startswith("bravo/P1 in dwp-test")
    assert "evidence bravo/E2" in explain.stdout and "acme/E1" not in explain.stdout


BAD_IDS = [
    ('=HYPERLINK("http://x","Click")', "starts with '='"),
    ("+1", "starts with '+'"),
    ("-1", "starts with '-'"),
    ("@SUM(A1)", "starts with '@'"),
    ("P 1", "' '"),
    ("P1/2", "'/'"),
    ("P\x071", "U+0007"),
    ("P" * 65, "longer than 64"),
]


@pytest.mark.parametrize(("bad", "said"), BAD_IDS, ids=[s for _, s in BAD_IDS])
def test_a_participant_id_outside_the_character_set_is_refused_in_csv(
    engine: Engine, walled: ActiveSpec, tmp_path: Path, now: datetime, bad: str, said: str
) -> None:
    quoted = '"' + bad.replace('"', '""') + '"'
    path = write(tmp_path, "p.csv", PEOPLE_HEADER + person("P0", "acme") + person(quoted, "acme"))
    (line,) = refusal(lambda: enrol(engine, walled, path, now))
    assert line.startswith("p.csv:3: participant_id: ") and said in line
    # a control character is refused by the intake's text rule, in any field, before the id
    # rule looks (both name it by its code point, neither echoes it)
    hint = "control character" if said == "U+0007" else "letters, digits"
    assert hint in line
    assert keys(engine, Participant.participant_id) == []


def test_ids_outside_the_character_set_are_refused_in_xlsx(
    engine: Engine, walled: ActiveSpec, tmp_path: Path, now: datetime
) -> None:
    enrol(engine, walled, write(tmp_path, "p.csv", PEOPLE_HEADER + person("P1", "acme")), now)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(EVIDENCE_HEADER.strip().split(","))
    sheet.append(["E 1", "P1", "job_entry", "2015-03-01", "payslip", None, None])
    sheet.append(["E2", "+P1", "job_entry", "2015-03-02", "payslip", None, None])
    path = tmp_path / "evidence.xlsx"
    book.save(path)
    lines = refusal(lambda: submit(engine, walled, path, now, "acme"))
    assert [line.split(": ")[:2] for line in lines] == [
        ["evidence.xlsx:2", "evidence_id"],
        ["evidence.xlsx:3", "participant_id"],
    ]
    assert keys(engine, Evidence.evidence_id) == []
