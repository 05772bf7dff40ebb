"""Enrolment records each participant's consents, a column per consent the spec declares: a
missing, empty or unreadable value, or a required consent not given, is refused at its row and
field, and nothing of the file is stored."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import Engine, func, select

from api.cli import main
from ledger.storage.tables import Participant, ParticipantConsents, table_of

SPEC = Path(__file__).parents[2] / "contract_specs" / "examples" / "rules-boundaries.yaml"
HEADER = "participant_id,cohort,provider,start_date,date_of_birth"


def _enrol(tmp_path: Path, text: str) -> tuple[int, str]:
    path = tmp_path / "people.csv"
    path.write_text(text)
    result = CliRunner().invoke(main, ["participants", "import", "rules-boundaries", str(path)])
    return result.exit_code, result.output + result.stderr


def _count(engine: Engine, model: type) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(select(func.count()).select_from(table_of(model))).scalar_one()
        )


def test_each_consent_is_refused_at_its_row_and_field_when_missing_or_not_given(
    cli_env: str, engine: Engine, tmp_path: Path
) -> None:
    assert CliRunner().invoke(main, ["contract", "load", str(SPEC)]).exit_code == 0
    code, out = _enrol(tmp_path, f"{HEADER}\nP1,main,acme,2020-02-03,2000-01-01\n")
    assert code == 1
    assert "people.csv:2: payment_by_results: is empty: say in the column payment_by_results" in out
    assert "people.csv:2: what_works_for_whom: is empty" in out

    header = f"{HEADER},payment_by_results,what_works_for_whom\n"
    code, out = _enrol(
        tmp_path,
        header
        + "P1,main,acme,2020-02-03,2000-01-01,,true\n"
        + "P2,main,acme,2020-02-03,2000-01-01,maybe,true\n"
        + "P3,main,acme,2020-02-03,2000-01-01,false,true\n"
        + "P4,main,acme,2020-02-03,2000-01-01,true,\n",
    )
    assert code == 1
    assert "people.csv:2: payment_by_results: is empty" in out
    assert "people.csv:3: payment_by_results: is not true or false" in out
    assert "people.csv:4: payment_by_results: is false: this consent is needed to enrol" in out
    assert "people.csv:5: what_works_for_whom: is empty" in out
    assert _count(engine, Participant) == 0 and _count(engine, ParticipantConsents) == 0

    code, out = _enrol(
        tmp_path,
        header
        + "P1,main,acme,2020-02-03,2000-01-01,true,true\n"
        + "P2,main,acme,2020-02-03,2000-01-01,yes,no\n",
    )
    assert code == 0, out
    consents = table_of(ParticipantConsents)
    with engine.connect() as connection:
        rows = connection.execute(select(consents.c.participant_id, consents.c.consents))
        stored = {str(pid): given for pid, given in rows}
    assert stored == {
        "acme/P1": {"payment_by_results": True, "what_works_for_whom": True},
        "acme/P2": {"payment_by_results": True, "what_works_for_whom": False},
    }
    # the same file again is unchanged; a consent changed by upload is a conflict
    assert _enrol(tmp_path, header + "P1,main,acme,2020-02-03,2000-01-01,true,true\n")[0] == 0
    code, out = _enrol(tmp_path, header + "P1,main,acme,2020-02-03,2000-01-01,true,false\n")
    assert code == 1 and "what_works_for_whom" in out
