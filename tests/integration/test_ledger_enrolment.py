"""Enrolling participants from files: row-level errors, all or nothing, idempotent re-import."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine, func, select
from sqlmodel import col

from ledger.domain.errors import RejectedUpload
from ledger.services.checked_import import in_two_sessions, store_checked
from ledger.services.contracts import ActiveSpec
from ledger.services.enrolment import import_participants, participants_import
from ledger.storage.db import reading, unit_of_work
from ledger.storage.sealed import opened_attributes
from ledger.storage.tables import Participant
from ledger.storage.uploads import ImportSummary


def enrol(engine: Engine, active: ActiveSpec, path: Path, now: datetime) -> ImportSummary:
    with unit_of_work(engine) as session:
        return import_participants(session, "dwp-test", active, path, actor="test", now=now)


def stored(engine: Engine) -> int:
    with unit_of_work(engine) as session:
        return session.scalar(select(func.count()).select_from(Participant)) or 0


def test_good_file_enrols_everyone_with_declared_attributes_only(
    engine: Engine, active: ActiveSpec, uploads: Path, now: datetime
) -> None:
    summary = enrol(engine, active, uploads / "participants_good.csv", now)
    assert (summary.new, summary.unchanged) == (3, 0)
    with unit_of_work(engine) as session:
        # each keyed in its provider's namespace: acme/<the id acme wrote>
        p1 = session.scalars(
            select(Participant).where(col(Participant.participant_id) == "acme/P1")
        ).one()
        p3 = session.scalars(
            select(Participant).where(col(Participant.participant_id) == "acme/P3")
        ).one()
        # the attributes are kept sealed apart, each person's with their own key
        opened = opened_attributes(session.connection(), p1.contract_id)
    assert p1.attributes == {} and p3.attributes == {}
    assert opened["acme/P1"] == {
        "date_of_birth": "1995-06-01",
        "care_leaver": True,
        "region": "north",
    }
    assert p3.source_row == 5  # the empty line 4 is skipped, row numbers stay the file's
    assert opened["acme/P3"]["care_leaver"] is False


def test_reimport_creates_nothing_new(
    engine: Engine, active: ActiveSpec, uploads: Path, now: datetime
) -> None:
    enrol(engine, active, uploads / "participants_good.csv", now)
    again = enrol(engine, active, uploads / "participants_good.csv", now + timedelta(days=1))
    assert str(again) == "0 new, 3 unchanged"
    assert stored(engine) == 3


def test_bad_file_reports_every_row_and_stores_nothing(
    engine: Engine, active: ActiveSpec, uploads: Path, now: datetime
) -> None:
    with pytest.raises(RejectedUpload) as caught:
        enrol(engine, active, uploads / "participants_bad.csv", now)
    places = {(e.row, e.column) for e in caught.value.errors}
    assert places == {
        (3, "cohort"),
        (4, "start_date"),
        (5, "date_of_birth"),
        (6, "provider"),
        (6, "care_leaver"),
        (6, "region"),
        (7, "participant_id"),
        (8, "start_date"),
        (9, "start_date"),
    }
    assert any(
        line.startswith("participants_bad.csv:5: date_of_birth: not eligible")
        for line in caught.value.lines()
    )
    assert stored(engine) == 0


def test_changed_row_is_a_conflict_naming_the_fields(
    engine: Engine, active: ActiveSpec, uploads: Path, now: datetime, tmp_path: Path
) -> None:
    enrol(engine, active, uploads / "participants_good.csv", now)
    changed = tmp_path / "changed.csv"
    text = (uploads / "participants_good.csv").read_text()
    changed.write_text(
        text.replace(
            "P1,c1,acme,2015-02-01,1995-06-01,true,north",
            "P1,c1,acme,2015-02-02,1995-06-01,true,south",
        )
    )
    with pytest.raises(RejectedUpload) as caught:
        enrol(engine, active, changed, now)
    assert caught.value.lines() == [
        "changed.csv:2: participant_id: already enrolled with different region, start_date: "
        "a stored participant cannot be changed by upload"
    ]


def test_capacity_counts_stored_participants_plus_the_file(
    engine: Engine, active: ActiveSpec, uploads: Path, now: datetime, tmp_path: Path
) -> None:
    enrol(engine, active, uploads / "participants_good.csv", now)  # 3 of 5 places
    more = tmp_path / "more.csv"
    more.write_text(
        "participant_id,cohort,provider,start_date,date_of_birth\n"
        + "".join(f"Q{i},c1,acme,2015-05-01,2000-01-01\n" for i in range(1, 4))
    )
    with pytest.raises(RejectedUpload) as caught:
        enrol(engine, active, more, now)
    assert [(e.row, e.column) for e in caught.value.errors] == [(4, "cohort")]
    assert "cohort c1 is full (capacity 5, 3 already enrolled)" in caught.value.lines()[0]
    assert stored(engine) == 3


@pytest.mark.parametrize(
    ("born", "eligible"),
    [("2001-02-02", False), ("2001-02-01", True), ("1990-02-02", True), ("1990-02-01", False)],
)
def test_age_band_at_start_is_inclusive_in_whole_years(
    engine: Engine, active: ActiveSpec, now: datetime, tmp_path: Path, born: str, eligible: bool
) -> None:
    path = tmp_path / "age.csv"
    path.write_text(
        f"participant_id,cohort,provider,start_date,date_of_birth\nA,c1,acme,2015-02-01,{born}\n"
    )
    if eligible:
        assert enrol(engine, active, path, now).new == 1
    else:
        with pytest.raises(RejectedUpload):
            enrol(engine, active, path, now)


def test_xlsx_with_a_formula_and_an_empty_row_stores_nothing(
    engine: Engine, active: ActiveSpec, now: datetime, tmp_path: Path
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["participant_id", "cohort", "provider", "start_date", "date_of_birth"])
    sheet.append(["X1", "c1", "acme", "2015-02-01", "2000-01-01"])
    sheet.append([])
    sheet.append(["X2", "c1", "acme", "2015-02-01", "=DATE(2000,1,1)"])
    path = tmp_path / "people.xlsx"
    book.save(path)
    with pytest.raises(RejectedUpload) as caught:
        enrol(engine, active, path, now)
    assert caught.value.lines() == [
        "people.xlsx:4: date_of_birth: is a formula: paste the value instead"
    ]
    assert stored(engine) == 0


def test_undeclared_column_is_refused(
    engine: Engine, active: ActiveSpec, uploads: Path, now: datetime, tmp_path: Path
) -> None:
    path = tmp_path / "names.csv"
    shutil.copy(uploads / "participants_good.csv", path)
    path.write_text(path.read_text().replace("region\n", "region,surname\n", 1))
    with pytest.raises(RejectedUpload) as caught:
        enrol(engine, active, path, now)
    assert [(e.row, e.column) for e in caught.value.errors] == [(1, "surname")]


def test_a_file_checked_before_another_import_landed_is_checked_again_under_the_lock(
    engine: Engine, active: ActiveSpec, uploads: Path, now: datetime, tmp_path: Path
) -> None:
    # the check runs in a read-only session, with no write lock held; the 3 places taken
    # between that check and the insert are seen under the lock, so the cohort is never over
    more = tmp_path / "more.csv"
    more.write_text(
        "participant_id,cohort,provider,start_date,date_of_birth\n"
        + "".join(f"Q{i},c1,acme,2015-05-01,2000-01-01\n" for i in range(1, 4))
    )
    job = participants_import("dwp-test", more, actor="test", now=now, active=active)
    with reading(engine) as reader:
        checked = job.check(reader)  # fits: 3 of 5 places
    enrol(engine, active, uploads / "participants_good.csv", now)  # 3 places taken meanwhile
    with pytest.raises(RejectedUpload) as caught, unit_of_work(engine) as session:
        store_checked(session, job, checked)
    assert "cohort c1 is full (capacity 5, 3 already enrolled)" in caught.value.lines()[0]
    assert stored(engine) == 3


def test_a_file_checked_while_nothing_changed_is_inserted_as_checked(
    engine: Engine, active: ActiveSpec, uploads: Path, now: datetime
) -> None:
    job = participants_import(
        "dwp-test", uploads / "participants_good.csv", actor="test", now=now, active=active
    )
    summary = in_two_sessions(engine, job)
    assert (summary.new, stored(engine)) == (3, 3)
