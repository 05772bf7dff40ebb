"""`outcomes contract preview`: the money a new spec version would change, and nothing written.

The Fair Chance Fund example with the accommodation entry tariff raised from 500 to 600. The
expected change is worked out here by hand from the facts: each paid entry moves by the tariff
delta times its payer's share in force on the day it was achieved, except where the
per-participant cap (15,000) leaves less room than the new price.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import Engine, MetaData, func, select

from api.cli import main

SPEC = Path(__file__).parents[2] / "contract_specs" / "examples" / "fair-chance-fund-ambition.yaml"
CONTRACT = "fcf-ambition"
CAP = Decimal("15000")

# C reaches 14,750 before moving in: 250 of room is left, under either price
C_BEFORE_ENTRY = [
    ("C-a1", "assessment_initial", "2015-03-01", "assessment_record", 500),
    ("C-a2", "assessment_second", "2015-03-02", "assessment_record", 500),
    ("C-e0", "employment_entry", "2015-03-03", "payslip", 500),
    ("C-f13", "employment_full_time_13w", "2015-06-10", "payslip", 4500),
    ("C-f26", "employment_full_time_26w", "2015-09-10", "payslip", 3500),
    ("C-p13", "employment_part_time_13w", "2015-06-11", "payslip", 3000),
    ("C-p26", "employment_part_time_26w", "2015-09-11", "payslip", 2000),
    ("C-v20", "volunteering_20w", "2015-09-12", "volunteer_organisation_letter", 250),
]
ENTRIES = [  # participant, evidence id, achieved on, period, dclg share, cabinet-office share
    ("A", "A-entry", "2015-05-05", "2015-Q2", Decimal("0.8"), Decimal("0.2")),
    ("B", "B-entry", "2016-08-08", "2016-Q3", Decimal("0.9"), Decimal("0.1")),
    ("C", "C-entry", "2016-01-05", "2016-Q1", Decimal("0.8"), Decimal("0.2")),
]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def _load_world(tmp_path: Path) -> None:
    people = tmp_path / "people.csv"
    people.write_text(
        "participant_id,cohort,provider,start_date,date_of_birth,in_priority_need\n"
        + "".join(
            f"{p},referrals-2015,ambition,2015-02-02,1995-01-01,false\n" for p in ("A", "B", "C")
        )
    )
    rows = [(e, p, "accommodation_entry", day, "tenancy_agreement") for p, e, day, *_ in ENTRIES]
    rows += [(e, "C", m, day, kind) for e, m, day, kind, _ in C_BEFORE_ENTRY]
    evidence = tmp_path / "evidence.csv"
    evidence.write_text(
        "evidence_id,participant_id,metric,achieved_on,evidence_type,quantity,reference\n"
        + "".join(f"{e},{p},{m},{d},{k},,\n" for e, p, m, d, k in rows)
    )
    decisions = tmp_path / "decisions.csv"
    decisions.write_text(
        "evidence_id,decision,reason\n" + "".join(f"{r[0]},verified,\n" for r in rows)
    )
    assert run("contract", "load", str(SPEC))[0] == 0
    assert run("participants", "import", CONTRACT, str(people))[0] == 0
    assert run("evidence", "import", CONTRACT, str(evidence))[0] == 0
    assert run("evidence", "verify", CONTRACT, str(decisions))[0] == 0
    # money already posted: the preview must leave the postings and the audit chain alone
    code, _out, err = run("reconcile", CONTRACT, "--period", "2015-Q2")
    assert code == 0, err


def _raised(tmp_path: Path, old: str, new: str) -> Path:
    text = SPEC.read_text()
    entry = "  - id: accommodation_entry\n"
    head, tail = text.split(entry)
    tail = tail.replace(f'price: "{old}"', f'price: "{new}"', 1)
    changed = tmp_path / "raised.yaml"
    changed.write_text(head + entry + tail)
    return changed


def _counts(engine: Engine) -> dict[str, int]:
    tables = MetaData()
    tables.reflect(engine)
    with engine.connect() as connection:
        return {
            name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in tables.tables.items()
        }


def _expected() -> dict[tuple[str, str], Decimal]:
    """Per (payer, period): delta x share for each uncapped entry; capped: new room - old."""
    old, new = Decimal("500"), Decimal("600")
    room_c = CAP - sum(Decimal(a) for *_, a in C_BEFORE_ENTRY)
    found: dict[tuple[str, str], Decimal] = {}
    for person, _, _, period, dclg, office in ENTRIES:
        room = room_c if person == "C" else CAP
        delta = min(new, room) - min(old, room)
        for payer, share in (("dclg", dclg), ("cabinet-office", office)):
            if delta:
                key = (payer, period)
                found[key] = found.get(key, Decimal(0)) + delta * share
    return found


def test_a_raised_tariff_shows_the_change_per_payer_and_period_and_writes_nothing(
    cli_env: str, engine: Engine, tmp_path: Path
) -> None:
    _load_world(tmp_path)
    raised = _raised(tmp_path, "500.00", "600.00")
    counts = _counts(engine)
    assert counts["postings"] > 0 and counts["audit_log"] > 0

    code, out, err = run("contract", "preview", CONTRACT, str(raised), "--format", "json")
    assert code == 0, err
    preview = json.loads(out)

    got = {(c["payer"], c["period"]): Decimal(c["change"]) for c in preview["by_payer_period"]}
    assert got == _expected()
    assert [(m["metric"], Decimal(m["change"])) for m in preview["by_metric"]] == [
        ("accommodation_entry", Decimal("200"))
    ]
    moved = {(line["participant_id"], line["payer"]) for line in preview["lines"]}
    assert moved == {
        ("ambition/A", "dclg"),
        ("ambition/A", "cabinet-office"),
        ("ambition/B", "dclg"),
        ("ambition/B", "cabinet-office"),
    }
    assert Decimal(preview["total"]["change"]) == Decimal("200")

    code, text, _ = run("contract", "preview", CONTRACT, str(raised))
    assert code == 0
    assert "total owed:" in text and "2016-Q3" in text and "(+90.00)" in text

    assert _counts(engine) == counts
    assert run("audit", "verify")[0] == 0


def test_the_spec_in_force_previews_as_no_change(cli_env: str, tmp_path: Path) -> None:
    _load_world(tmp_path)
    code, text, _ = run("contract", "preview", CONTRACT, str(SPEC))
    assert code == 0
    assert text.splitlines()[-1] == "no money changes"


def test_a_spec_of_another_contract_is_refused(cli_env: str, tmp_path: Path) -> None:
    _load_world(tmp_path)
    other = Path(__file__).parents[2] / "contract_specs" / "examples" / "peterborough.yaml"
    code, _, err = run("contract", "preview", CONTRACT, str(other))
    assert code == 1
    assert "not 'fcf-ambition'" in err
