"""The `outcomes` verbs of the ledger, end to end on a real example spec and both backends."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import Engine

from api.cli import main
from ledger.services.postings import post_entitlement
from ledger.storage.db import unit_of_work

SPEC = (
    Path(__file__).parents[2] / "contract_specs" / "examples" / "dwp-innovation-fund-round-1.yaml"
)
CONTRACT = "dwp-innovation-fund-round-1"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def write(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text)
    return str(path)


def test_load_import_verify_export_explain(cli_env: str, engine: Engine, tmp_path: Path) -> None:
    assert run("contract", "load", str(SPEC)) == (
        0,
        f"{CONTRACT}: version 1 loaded (in force)\n",
        "",
    )
    assert run("contract", "load", str(SPEC))[1] == f"{CONTRACT}: unchanged, same as version 1\n"

    people = write(
        tmp_path,
        "people.csv",
        "participant_id,cohort,provider,start_date,date_of_birth\n"
        "Y1,round-1,pilot-provider,2013-01-10,1995-05-05\n"
        "Y2,round-1,pilot-provider,2013-02-10,1996-05-05\n",
    )
    assert run("participants", "import", CONTRACT, people)[:2] == (0, "2 new, 0 unchanged\n")
    assert run("participants", "import", CONTRACT, people)[:2] == (0, "0 new, 2 unchanged\n")

    bad = write(
        tmp_path,
        "bad.csv",
        "participant_id,cohort,provider,start_date,date_of_birth\n"
        "Y3,round-2,pilot-provider,2013-01-10,1995-05-05\n"
        "Y4,round-1,pilot-provider,2013-01-10,1960-05-05\n",
    )
    code, _, err = run("participants", "import", CONTRACT, bad)
    assert code == 1
    assert err.splitlines()[:2] == [
        "bad.csv:2: cohort: is not a cohort of this contract: use one of round-1",
        "bad.csv:3: date_of_birth: not eligible for cohort round-1: age at start must be 14-24 "
        "(date_of_birth)",
    ]

    evidence = write(
        tmp_path,
        "evidence.csv",
        "evidence_id,participant_id,metric,achieved_on,evidence_type,quantity,reference\n"
        "E1,Y1,employment_entry,2013-03-01,payslip,,\n",
    )
    assert run("evidence", "import", CONTRACT, evidence)[:2] == (0, "1 new, 0 unchanged\n")
    decisions = write(tmp_path, "d.csv", "evidence_id,decision,reason\nE1,verified,\n")
    assert run("evidence", "verify", CONTRACT, decisions, "--actor", "dwp-officer")[:2] == (
        0,
        "1 new, 0 unchanged\n",
    )

    with unit_of_work(engine) as session:
        post_entitlement(session, CONTRACT, "2013-Q1", datetime.now(UTC), "run-1")
    code, out, _ = run("ledger", "export", CONTRACT, "--format", "csv")
    header, row = out.splitlines()
    assert header == (
        "posting_id,contract,spec_version,period,participant_id,metric,occurrence,payer,amount,"
        "kind,reason,achieved_on,evidence_ids,run_id,posted_at"
    )
    fields = row.split(",")
    assert (
        fields[1:10]
        == [
            CONTRACT,
            "1",
            "2013-Q1",
            "pilot-provider/Y1",  # the ledger key: the provider and the id it wrote
            "employment_entry",
            "1",
            "dwp",
            "2600.00",
            "outcome_payment",
        ][:9]
    )
    code, out, _ = run("ledger", "explain", CONTRACT, "Y1")
    assert code == 0
    assert "employment_entry" in out and "verified by dwp-officer" in out and "2600.00" in out


def test_unknown_contract_is_a_clear_error(cli_env: str, tmp_path: Path) -> None:
    people = write(tmp_path, "p.csv", "participant_id,cohort,provider,start_date\n")
    code, _, err = run("participants", "import", "nope", people)
    assert code == 1 and "contract 'nope' is not known" in err
