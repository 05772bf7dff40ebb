"""A withdrawal after payments (issue 16, "Consent"): every posting stays, the person's declared
attributes are erased (their ciphertext can no longer be opened, and no plaintext of them is
left in any table), nothing achieved or sent after the withdrawal is paid, and the audit chain
still verifies. On SQLite and PostgreSQL (the `db_url` fixture), through the real CLI."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.exceptions import InvalidTag
from sqlalchemy import Engine, MetaData, select, text

from api.cli import common, main
from ledger.storage.sealed import opened_attributes, unseal
from ledger.storage.tables import ParticipantAttributes, ParticipantKey, Posting, table_of

SPEC = Path(__file__).parents[2] / "contract_specs" / "examples" / "rules-boundaries.yaml"
CONTRACT = "rules-boundaries"
# P1 turns 16 on 2020-06-16: the job started on 2020-07-01 pays only because of that birthday,
# so the money kept after the erasure rests on a condition judged before it
P1_BORN = "2004-06-16"
P2_BORN = "1999-11-23"


def run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == 0, result.output + result.stderr
    return result.stdout


def _file(tmp_path: Path, name: str, text_: str) -> str:
    path = tmp_path / name
    path.write_text(text_)
    return str(path)


def _postings(engine: Engine) -> list[dict[str, Any]]:
    table = table_of(Posting)
    with engine.connect() as connection:
        return [dict(r) for r in connection.execute(select(table).order_by(table.c.id)).mappings()]


def _every_cell(engine: Engine) -> list[str]:
    """Every value of every table, as text (bytes as their latin-1 text, so an ASCII date in
    a binary column would show)."""
    tables = MetaData()
    tables.reflect(engine)
    cells: list[str] = []
    with engine.connect() as connection:
        for table in tables.tables.values():
            for row in connection.execute(select(table)):
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        cells.append(bytes(value).decode("latin-1"))
                    else:
                        cells.append(str(value))
    return cells


class Clock:
    """The CLI's clock, moved by the test: the quarter is paid, then the person withdraws."""

    def __init__(self) -> None:
        self.at = datetime(2020, 10, 5, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.at


def test_a_withdrawal_after_payments_keeps_every_posting_erases_the_attributes_and_the_audit_verifies(  # noqa: E501
    cli_env: str, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock()
    monkeypatch.setattr(common, "now", clock)
    run("contract", "load", str(SPEC))
    run(
        "participants",
        "import",
        CONTRACT,
        _file(
            tmp_path,
            "people.csv",
            "participant_id,cohort,provider,start_date,date_of_birth,payment_by_results,"
            "what_works_for_whom\n"
            f"P1,main,acme,2020-02-03,{P1_BORN},true,true\n"
            f"P2,main,acme,2020-02-03,{P2_BORN},true,false\n",
        ),
    )
    evidence_header = (
        "evidence_id,participant_id,metric,achieved_on,evidence_type,quantity,reference\n"
    )
    run(
        "evidence",
        "import",
        CONTRACT,
        _file(
            tmp_path,
            "evidence.csv",
            evidence_header
            + "E1,P1,accommodation_entry,2020-03-02,,,\n"
            + "E2,P1,job_started_16,2020-07-01,,,\n"
            + "E3,P2,accommodation_entry,2020-03-02,,,\n",
        ),
    )
    run(
        "evidence",
        "verify",
        CONTRACT,
        _file(
            tmp_path,
            "ok.csv",
            "evidence_id,decision,reason\nE1,verified,\nE2,verified,\nE3,verified,\n",
        ),
    )
    run("reconcile", CONTRACT, "--period", "2020-Q3")
    paid = _postings(engine)
    p1_paid = sum(p["amount"] for p in paid if p["participant_id"] == "acme/P1")
    assert p1_paid == 200_00 + 1000_00  # the entry and the job started aged 16

    # everything paid was sent by 5 October; P1 withdraws on the 6th
    clock.at = datetime(2020, 10, 6, 9, 0, tzinfo=UTC)
    out = run(
        "participants",
        "withdraw",
        CONTRACT,
        _file(tmp_path, "withdrawals.csv", "participant_id,withdrawn_on\nP1,2020-10-06\n"),
    )
    assert "1 new" in out

    # the erasure: no key, a ciphertext nobody can open, and no plaintext anywhere
    sealed, keys = table_of(ParticipantAttributes), table_of(ParticipantKey)
    with engine.connect() as connection:
        opened = opened_attributes(connection, CONTRACT)
        assert "acme/P1" not in opened and opened["acme/P2"] == {"date_of_birth": P2_BORN}
        assert (
            connection.execute(select(keys.c.key).where(keys.c.participant_id == "acme/P1")).all()
            == []
        )
        blob = connection.execute(
            select(sealed.c.sealed).where(sealed.c.participant_id == "acme/P1")
        ).scalar_one()
        other_key = connection.execute(
            select(keys.c.key).where(keys.c.participant_id == "acme/P2")
        ).scalar_one()
    with pytest.raises(InvalidTag):
        unseal(bytes(other_key), CONTRACT, "acme/P1", bytes(blob))
    cells = _every_cell(engine)
    assert not [c for c in cells if P1_BORN in c]
    # nobody's attributes are ever stored in the clear, before a withdrawal or after
    assert not [c for c in cells if P2_BORN in c]

    # later evidence: achieved after the withdrawal, or achieved before it and sent after
    clock.at = datetime(2020, 10, 20, 9, 0, tzinfo=UTC)
    run(
        "evidence",
        "import",
        CONTRACT,
        _file(
            tmp_path,
            "late.csv",
            evidence_header
            + "E4,P1,accommodation_entry,2020-10-10,,,\n"
            + "E5,P1,wellbeing_assessment,2020-10-01,,,\n",
        ),
    )
    run(
        "evidence",
        "verify",
        CONTRACT,
        _file(tmp_path, "late-ok.csv", "evidence_id,decision,reason\nE4,verified,\nE5,verified,\n"),
    )
    clock.at = datetime(2021, 1, 5, 9, 0, tzinfo=UTC)
    run("reconcile", CONTRACT, "--period", "2020-Q4")
    after = _postings(engine)
    assert after[: len(paid)] == paid  # every posting kept, as it was
    # the run paid nothing new for P1 and took nothing back: the conditions judged before the
    # erasure still say the job started aged 16
    assert [
        (p["metric"], p["amount"], p["reason"])
        for p in after[len(paid) :]
        if p["participant_id"] == "acme/P1"
    ] == []

    result = CliRunner().invoke(main, ["audit", "verify"])
    assert result.exit_code == 0, result.output

    # reports count the withdrawal and never say who
    with engine.connect() as connection:
        audit = connection.execute(
            text("SELECT details FROM audit_log WHERE action = 'participants.withdraw'")
        ).scalar_one()
    assert "P1" not in str(audit)


def test_a_run_after_a_withdrawal_is_computed_again_and_pays_back_what_was_sent_after_it(
    cli_env: str, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Evidence sent on 5 October, paid that morning; at noon Acme records that P1 withdrew on
    the 4th. The same quarter reconciled that afternoon must not reuse the morning's run (the
    re-run fast path counts withdrawals among the facts): the entry was sent after the
    withdrawal, so what was paid for it is paid back."""
    clock = Clock()
    monkeypatch.setattr(common, "now", clock)
    run("contract", "load", str(SPEC))
    people = (
        "participant_id,cohort,provider,start_date,date_of_birth,payment_by_results,"
        f"what_works_for_whom\nP1,main,acme,2020-02-03,{P1_BORN},true,true\n"
    )
    run("participants", "import", CONTRACT, _file(tmp_path, "people.csv", people))
    evidence = (
        "evidence_id,participant_id,metric,achieved_on,evidence_type,quantity,reference\n"
        "E1,P1,accommodation_entry,2020-09-30,,,\n"
    )
    run("evidence", "import", CONTRACT, _file(tmp_path, "evidence.csv", evidence))
    run(
        "evidence",
        "verify",
        CONTRACT,
        _file(tmp_path, "ok.csv", "evidence_id,decision,reason\nE1,verified,\n"),
    )
    run("reconcile", CONTRACT, "--period", "2020-Q3")
    assert sum(p["amount"] for p in _postings(engine)) == 200_00

    clock.at = datetime(2020, 10, 5, 12, 0, tzinfo=UTC)
    withdrawals = "participant_id,withdrawn_on\nP1,2020-10-04\n"
    run("participants", "withdraw", CONTRACT, _file(tmp_path, "w.csv", withdrawals))
    clock.at = datetime(2020, 10, 5, 15, 0, tzinfo=UTC)
    run("reconcile", CONTRACT, "--period", "2020-Q3")
    postings = _postings(engine)
    assert [p["amount"] for p in postings] == [200_00, -200_00]
    assert "after_withdrawal" in postings[-1]["reason"]
    assert CliRunner().invoke(main, ["audit", "verify"]).exit_code == 0
