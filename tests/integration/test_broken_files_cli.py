"""Every malformed file gets a located, human error from the CLI: exit 1, no traceback, nothing
stored (row counts and the audit chain head unchanged), on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine

from api.cli import main
from ledger.services.contracts import ActiveSpec
from ledger.storage.settings import get_settings
from tests.broken_files import BROKEN, PEOPLE, PEOPLE_HEADER, PERSON, Broken, evidence, stored

CONTRACT = "dwp-test"


def outcomes(*args: str) -> Result:
    """Run the CLI as a user would; an exception other than the exit is a traceback."""
    result = CliRunner().invoke(main, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError("the CLI crashed") from result.exception
    return result


def _file(folder: Path, name: str, content: bytes) -> str:
    path = folder / name
    path.write_bytes(content)
    return str(path)


@pytest.fixture
def enrolled(cli_env: str, active: ActiveSpec, tmp_path: Path) -> None:
    """P1 enrolled, so that an evidence file's only problem is the one under test."""
    result = outcomes("participants", "import", CONTRACT, _file(tmp_path, "p1.csv", PEOPLE))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("case", BROKEN, ids=[case.id for case in BROKEN])
def test_a_broken_file_is_refused_in_words(
    enrolled: None, engine: Engine, tmp_path: Path, case: Broken
) -> None:
    before = stored(engine)
    result = outcomes(case.what, "import", CONTRACT, _file(tmp_path, case.name, case.content))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    place = f"{case.name}:{case.row}" if case.row else case.name
    assert f"{place}: {case.column}: " in result.stderr
    assert case.says in result.stderr
    assert "nothing was stored" in result.stderr
    assert stored(engine) == before


def test_a_utf8_bom_is_fine(cli_env: str, active: ActiveSpec, tmp_path: Path) -> None:
    path = _file(tmp_path, "people.csv", b"\xef\xbb\xbf" + PEOPLE)
    result = outcomes("participants", "import", CONTRACT, path)
    assert (result.exit_code, result.stdout) == (0, "1 new, 0 unchanged\n"), result.output


def test_too_many_rows_say_the_limit(
    cli_env: str,
    active: ActiveSpec,
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OUTCOMES_CLI_UPLOAD_MAX_ROWS", "3")
    get_settings.cache_clear()
    rows = "".join(f"P{i},c1,acme,2015-02-01,1995-06-01\n" for i in range(4))
    before = stored(engine)
    result = outcomes(
        "participants",
        "import",
        CONTRACT,
        _file(tmp_path, "p.csv", (PEOPLE_HEADER + rows).encode()),
    )
    assert result.exit_code == 1, result.output
    assert "p.csv: file: has 4 rows: at most 3 rows" in result.stderr
    assert stored(engine) == before


def test_too_many_bytes_say_the_limit(
    cli_env: str,
    active: ActiveSpec,
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OUTCOMES_CLI_UPLOAD_MAX_BYTES", "100")
    get_settings.cache_clear()
    content = (PEOPLE_HEADER + PERSON * 3).encode()
    result = outcomes("participants", "import", CONTRACT, _file(tmp_path, "p.csv", content))
    assert result.exit_code == 1, result.output
    assert f"p.csv: file: is {len(content)} bytes: at most 100 bytes" in result.stderr
    assert stored(engine)[0] == 0


def test_the_errors_listed_are_capped_with_a_count_of_the_rest(
    enrolled: None, engine: Engine, tmp_path: Path
) -> None:
    rows = [f"E{i},P1,job_entry,2015-02-31,payslip,," for i in range(1_500)]
    result = outcomes("evidence", "import", CONTRACT, _file(tmp_path, "e.csv", evidence(*rows)))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert sum(line.startswith("e.csv:") for line in lines) == 1_000
    assert "... and 500 more problem(s) not listed" in result.stderr
    assert "1500 problem(s); nothing was stored" in result.stderr


def test_a_huge_remittance_is_too_large_not_a_crash(
    cli_env: str, active: ActiveSpec, engine: Engine, tmp_path: Path
) -> None:
    content = b"payer,amount,date,reference\ndwp,99999999999999999999999999.99,2015-06-01,r\n"
    result = outcomes("remittances", "import", CONTRACT, _file(tmp_path, "money.csv", content))
    assert result.exit_code == 1, result.output
    assert "money.csv:2: amount: is too large: at most 9999999999999999.99" in result.stderr
