"""Evidence intake, verification decisions, cohort results, and the facts as of a cut-off."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import col

from contract_specs.model import CohortMetric, Direction, PerUnitAboveThreshold
from ledger.domain.errors import RejectedUpload
from ledger.services.contracts import ActiveSpec
from ledger.services.enrolment import import_participants
from ledger.services.evidence import import_evidence
from ledger.services.facts import load_facts, participants_frame
from ledger.services.results import import_results
from ledger.services.verification import import_decisions
from ledger.storage.db import unit_of_work
from ledger.storage.tables import Evidence, VerificationDecision

HOUR = timedelta(hours=1)


@pytest.fixture
def enrolled(engine: Engine, active: ActiveSpec, uploads: Path, now: datetime) -> ActiveSpec:
    with unit_of_work(engine) as session:
        import_participants(
            session, "dwp-test", active, uploads / "participants_good.csv", actor="t", now=now
        )
    return active


def submit(engine: Engine, active: ActiveSpec, path: Path, now: datetime) -> str:
    with unit_of_work(engine) as session:
        return str(import_evidence(session, "dwp-test", active, path, actor="acme", now=now))


def decide(engine: Engine, path: Path, now: datetime) -> str:
    with unit_of_work(engine) as session:
        return str(import_decisions(session, "dwp-test", path, actor="dwp", now=now))


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_good_evidence_is_stored_with_scaled_quantities_and_reimport_adds_nothing(
    engine: Engine, enrolled: ActiveSpec, uploads: Path, now: datetime
) -> None:
    assert submit(engine, enrolled, uploads / "evidence_good.csv", now) == "5 new, 0 unchanged"
    assert (
        submit(engine, enrolled, uploads / "evidence_good.csv", now + HOUR) == "0 new, 5 unchanged"
    )
    with unit_of_work(engine) as session:
        quantities = {
            evidence_id: quantity
            for evidence_id, quantity in session.execute(
                select(col(Evidence.evidence_id), col(Evidence.quantity))
            )
        }
    # stored in the provider's namespace: acme's own ids, keyed acme/<id>
    assert quantities == {
        "acme/E1": None,
        "acme/E2": None,
        "acme/E3": 50025,
        "acme/E4": 30000,
        "acme/E5": None,
    }


def test_bad_evidence_reports_every_row_and_stores_nothing(
    engine: Engine, enrolled: ActiveSpec, uploads: Path, now: datetime
) -> None:
    with pytest.raises(RejectedUpload) as caught:
        submit(engine, enrolled, uploads / "evidence_bad.csv", now)
    assert {(e.row, e.column) for e in caught.value.errors} == {
        (3, "participant_id"),
        (4, "metric"),
        (5, "quantity"),
        (6, "quantity"),
        (7, "achieved_on"),
        (7, "quantity"),
        (8, "evidence_id"),
    }
    with unit_of_work(engine) as session:
        assert session.scalar(select(func.count()).select_from(Evidence)) == 0


def test_missing_type_is_an_error_but_an_unaccepted_type_is_stored(
    engine: Engine, enrolled: ActiveSpec, now: datetime, tmp_path: Path
) -> None:
    header = "evidence_id,participant_id,metric,achieved_on,evidence_type,quantity,reference\n"
    missing = write(tmp_path, "a.csv", header + "E1,P1,job_entry,2015-03-01,,,\n")
    with pytest.raises(RejectedUpload) as caught:
        submit(engine, enrolled, missing, now)
    assert [(e.row, e.column) for e in caught.value.errors] == [(2, "evidence_type")]
    odd = write(tmp_path, "b.csv", header + "E1,P1,job_entry,2015-03-01,selfie,,\n")
    assert submit(engine, enrolled, odd, now) == "1 new, 0 unchanged"


def test_verification_is_append_only_and_status_is_as_of_the_cut_off(
    engine: Engine, enrolled: ActiveSpec, uploads: Path, now: datetime, tmp_path: Path
) -> None:
    submit(engine, enrolled, uploads / "evidence_good.csv", now)
    header = "evidence_id,decision,reason\n"
    verify = write(
        tmp_path, "v.csv", header + "E1,verified,\nE2,verified,\nE5,rejected,no certificate\n"
    )
    assert decide(engine, verify, now + HOUR) == "3 new, 0 unchanged"
    assert decide(engine, verify, now + 2 * HOUR) == "0 new, 3 unchanged"
    revoke = write(tmp_path, "r.csv", header + "E1,revoked,employer withdrew letter\n")
    assert decide(engine, revoke, now + 3 * HOUR) == "1 new, 0 unchanged"
    with unit_of_work(engine) as session:
        assert session.scalar(select(func.count()).select_from(VerificationDecision)) == 4

        def status(at: datetime) -> dict[str, str]:
            frame = load_facts(session, "dwp-test", at, enrolled.spec).evidence
            return dict(zip(frame["evidence_id"], frame["status"], strict=True))

        assert status(now - HOUR) == {}
        assert status(now) == dict.fromkeys([f"acme/E{n}" for n in range(1, 6)], "pending")
        assert status(now + HOUR)["acme/E1"] == "verified"
        assert status(now + HOUR)["acme/E5"] == "rejected"
        assert status(now + 3 * HOUR)["acme/E1"] == "revoked"
        assert status(now + 3 * HOUR)["acme/E2"] == "verified"


def test_bad_decisions_are_refused_together(
    engine: Engine, enrolled: ActiveSpec, uploads: Path, now: datetime, tmp_path: Path
) -> None:
    submit(engine, enrolled, uploads / "evidence_good.csv", now)
    bad = write(
        tmp_path,
        "bad.csv",
        "evidence_id,decision,reason\nE1,revoked,why\nE2,maybe,\nE9,verified,\nE3,rejected,\n",
    )
    with pytest.raises(RejectedUpload) as caught:
        decide(engine, bad, now + HOUR)
    assert {(e.row, e.column) for e in caught.value.errors} == {
        (2, "decision"),
        (3, "decision"),
        (4, "evidence_id"),
        (5, "reason"),
    }
    assert "cannot follow pending" in caught.value.lines()[0]


def test_facts_frames_have_the_engine_columns_and_types(
    engine: Engine, enrolled: ActiveSpec, uploads: Path, now: datetime
) -> None:
    submit(engine, enrolled, uploads / "evidence_good.csv", now)
    with unit_of_work(engine) as session:
        facts = load_facts(session, "dwp-test", now + HOUR, enrolled.spec)
        # the attributes are opened from their seals only when asked (or when a metric's
        # conditions need them: this spec's metrics have none)
        opened = participants_frame(
            session, "dwp-test", now + HOUR, enrolled.spec, with_attributes=True
        )
    people = facts.participants
    assert list(people.columns) == [
        "participant_id",
        "cohort",
        "provider",
        "start_date",
        "date_of_birth",
        "care_leaver",
        "region",
        "withdrawn_on",
    ]
    assert people["withdrawn_on"].isna().all()
    assert people["date_of_birth"].isna().all()
    assert opened["start_date"].dtype.kind == "M" and opened["date_of_birth"].dtype.kind == "M"
    assert list(opened["care_leaver"]) == [True, False, False]
    assert people.loc[0, "start_date"] == pd.Timestamp("2015-02-01")
    assert facts.evidence["quantity"].dtype == "Int64"
    assert len(facts.results) == 0


def test_a_corrected_result_supersedes_the_old_one(
    engine: Engine, enrolled: ActiveSpec, now: datetime, tmp_path: Path
) -> None:
    metric = CohortMetric(
        "reconviction",
        "Fewer reconvictions",
        ("c1",),
        Direction.LOWER_IS_BETTER,
        PerUnitAboveThreshold(Decimal("10"), Decimal("700.00")),
    )
    active = replace(enrolled, spec=replace(enrolled.spec, cohort_metrics=(metric,)))
    header = "result_id,metric,cohort,observed,comparison,units,evaluated_on,reference,supersedes\n"
    first = write(
        tmp_path, "r1.csv", header + "R1,reconviction,c1,1.42,1.55,1000,2017-06-30,MoJ,\n"
    )
    second = write(
        tmp_path, "r2.csv", header + "R2,reconviction,c1,1.40,1.55,1000,2017-09-30,MoJ,R1\n"
    )
    bad = write(tmp_path, "r3.csv", header + "R3,reconviction,c2,x,1.55,ten,2017-09-31,,R9\n")
    with unit_of_work(engine) as session:
        import_results(session, "dwp-test", active, first, actor="eval", now=now)
    with unit_of_work(engine) as session:
        import_results(session, "dwp-test", active, second, actor="eval", now=now + HOUR)
    with pytest.raises(RejectedUpload) as caught, unit_of_work(engine) as session:
        import_results(session, "dwp-test", active, bad, actor="eval", now=now + HOUR)
    assert {e.column for e in caught.value.errors} == {
        "cohort",
        "observed",
        "units",
        "evaluated_on",
        "supersedes",
    }
    with unit_of_work(engine) as session:
        before = load_facts(session, "dwp-test", now, active.spec).results
        after = load_facts(session, "dwp-test", now + HOUR, active.spec).results
    assert list(before["result_id"]) == ["R1"]
    assert list(after["result_id"]) == ["R2"] and after.loc[0, "observed"] == "1.40"


def test_a_result_id_outside_the_id_charset_is_refused_naming_row_and_field(
    engine: Engine, enrolled: ActiveSpec, now: datetime, tmp_path: Path
) -> None:
    metric = CohortMetric(
        "reconviction",
        "Fewer reconvictions",
        ("c1",),
        Direction.LOWER_IS_BETTER,
        PerUnitAboveThreshold(Decimal("10"), Decimal("700.00")),
    )
    active = replace(enrolled, spec=replace(enrolled.spec, cohort_metrics=(metric,)))
    header = "result_id,metric,cohort,observed,comparison,units,evaluated_on,reference\n"
    bad = write(
        tmp_path, "r.csv", header + '"=HYPERLINK(""x"")",reconviction,c1,1.4,1.5,10,2017-06-30,\n'
    )
    with pytest.raises(RejectedUpload) as caught, unit_of_work(engine) as session:
        import_results(session, "dwp-test", active, bad, actor="eval", now=now)
    [error] = caught.value.errors
    assert (error.file, error.row, error.column) == ("r.csv", 2, "result_id")
    assert "A-Z" in error.message or "letters" in error.message
