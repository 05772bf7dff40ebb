"""`outcomes reconcile`, `remittances import` and `periods`, end to end on a real example spec."""

from __future__ import annotations

from pathlib import Path

# the ledger's CLI tests already drive `outcomes` on this spec: same helpers, same contract
from tests.integration.test_ledger_cli import CONTRACT, SPEC, run, write


def verified_entry(folder: Path) -> None:
    """The spec loaded, Y1 enrolled, Y1's employment entry (2013-03-01) imported and verified,
    through the CLI."""
    assert run("contract", "load", str(SPEC))[0] == 0
    people = write(
        folder,
        "people.csv",
        "participant_id,cohort,provider,start_date,date_of_birth\n"
        "Y1,round-1,pilot-provider,2013-01-10,1995-05-05\n",
    )
    assert run("participants", "import", CONTRACT, people)[0] == 0
    evidence = write(
        folder,
        "evidence.csv",
        "evidence_id,participant_id,metric,achieved_on,evidence_type,quantity,reference\n"
        "E1,Y1,employment_entry,2013-03-01,payslip,,\n",
    )
    assert run("evidence", "import", CONTRACT, evidence)[0] == 0
    verified = write(folder, "d.csv", "evidence_id,decision,reason\nE1,verified,\n")
    assert run("evidence", "verify", CONTRACT, verified)[0] == 0


def test_reconcile_claim_get_paid_and_see_the_period_reconciled(
    cli_env: str, tmp_path: Path
) -> None:
    verified_entry(tmp_path)

    code, out, err = run("reconcile", CONTRACT, "--period", "2013-Q1")
    assert (code, err) == (0, "")
    assert "1 posting(s), dwp 2600.00" in out
    reference = f"{CONTRACT}-2013-Q1-DWP-1".upper()
    assert f"claim {reference}" in out
    assert "2013-Q1: reconciled_with_pending" in out
    assert "not_due 2600.00" in out and "unexplained 0.00" in out

    code, out, _ = run("reconcile", CONTRACT, "--period", "2013-Q1")
    assert "0 posting(s)" in out and "claim " not in out

    bad = write(
        tmp_path,
        "bad.csv",
        "payer,amount,date,reference\n"
        "dwq,2600.00,2013-05-01,X\n"
        "dwp,26OO,2013-05-01,X\n"
        "dwp,2600.001,2013-31-05,X\n",
    )
    code, _, err = run("remittances", "import", CONTRACT, bad)
    assert code == 1
    assert err.splitlines()[:4] == [
        "bad.csv:2: payer: is not an outcome payer of this contract: use one of dwp",
        "bad.csv:3: amount: is not an amount: write a decimal like 1500.00 (at most 2 decimals)",
        "bad.csv:4: amount: has more than the currency's 2 decimals: round it",
        "bad.csv:4: date: is not a date: write it as YYYY-MM-DD",
    ]

    paid = write(
        tmp_path, "paid.csv", f"payer,amount,date,reference\ndwp,2600.00,2013-05-01,{reference}\n"
    )
    assert run("remittances", "import", CONTRACT, paid)[:2] == (0, "1 new, 0 unchanged\n")
    assert run("remittances", "import", CONTRACT, paid)[:2] == (0, "0 new, 1 unchanged\n")
    code, out, _ = run("periods", CONTRACT)
    lines = out.splitlines()
    assert lines[0].split() == ["2012-Q2", "not", "reconciled", "incomplete"]
    assert "2013-Q1  open            reconciled" in out


def test_a_wrong_period_says_what_to_type(cli_env: str) -> None:
    assert run("contract", "load", str(SPEC))[0] == 0
    code, _, err = run("reconcile", CONTRACT, "--period", "2013-03")
    assert code == 1
    assert err.startswith("--period: '2013-03' is a month but this contract is paid quarterly")


def test_an_unknown_contract_is_a_clear_error(cli_env: str) -> None:
    code, _, err = run("reconcile", "nope", "--period", "2013-Q1")
    assert code == 1
    assert "contract 'nope' is not known" in err
