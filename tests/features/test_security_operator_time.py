"""Steps for features/security/operator_time.feature: an operator who types the wrong cut-off,
at the command line (`outcomes reconcile`, `periods`, `ledger explain`) on a real database
(both backends). The facts are set up through the ledger's own imports at the days the scenario
names; the operator's commands run now, with the cut-offs typed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import Engine, func, select
from sqlmodel import col

from api.cli import main
from ledger.domain.errors import RejectedUpload
from ledger.services.contracts import ActiveSpec
from ledger.storage.db import unit_of_work
from ledger.storage.tables import AuditLog, Evidence, Posting
from reconciliation.tables import ClaimRow, PeriodRow, ReconcileRun
from tests.integration.test_reconciliation_runs import World, at

pytestmark = pytest.mark.usefixtures("desk")

scenarios("security/operator_time.feature")

CONTRACT = "dwp-test"
COUNTED = (Posting, ReconcileRun, ClaimRow, PeriodRow, Evidence)


@dataclass
class Desk:
    """The operator's terminal and what the ledger held before the operator's command."""

    world: World
    before: tuple[int, ...] = ()
    said: list[Result] = field(default_factory=list)
    refused: RejectedUpload | None = None

    def counts(self) -> tuple[int, ...]:
        with unit_of_work(self.world.engine) as session:
            return tuple(
                session.scalar(select(func.count()).select_from(model)) or 0 for model in COUNTED
            )

    def run(self, *args: str, answer: str | None = None) -> Result:
        self.before = self.counts()
        result = CliRunner().invoke(main, list(args), input=answer)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        self.said.append(result)
        return result

    @property
    def last(self) -> Result:
        return self.said[-1]


@pytest.fixture
def desk(cli_env: str, engine: Engine, active: ActiveSpec, tmp_path: Path) -> Desk:
    return Desk(World(engine, active, tmp_path))


@given("the Innovation Fund test contract is in force")
def contract_in_force(desk: Desk) -> None:
    assert desk.world.active.spec.contract.id == CONTRACT


@given("four young people, P1 to P4, are enrolled")
def enrolled(desk: Desk) -> None:
    desk.world.enrol("".join(f"P{n},c1,acme,2015-02-01,1995-06-01\n" for n in range(1, 5)))


@given("P1's job entry of 2015-08-10 was sent on 2015-08-20 and verified on 2015-08-25")
def p1_entry(desk: Desk) -> None:
    desk.world.evidence("E1,P1,job_entry,2015-08-10,payslip,,\n", when="2015-08-20")
    desk.world.decide("E1,verified,\n", when="2015-08-25")


@given("P2's and P3's job entries of September were sent on 2015-10-10 and verified on 2015-10-12")
def september_entries(desk: Desk) -> None:
    desk.world.evidence(
        "E2,P2,job_entry,2015-09-10,payslip,,\nE3,P3,job_entry,2015-09-20,payslip,,\n",
        when="2015-10-10",
    )
    desk.world.decide("E2,verified,\nE3,verified,\n", when="2015-10-12")


@given(parsers.parse("the intermediary reconciled {period} on {day}"))
def reconciled_then(desk: Desk, period: str, day: str) -> None:
    # on that day, as of then: its postings were made then
    desk.world.reconcile(period, when=day)


@when(parsers.parse("the intermediary reconciles {period} as of {day}"))
def reconciled(desk: Desk, period: str, day: str) -> None:
    assert desk.run("reconcile", CONTRACT, "--period", period, "--as-of", day).exit_code == 0


@when(parsers.parse("the operator reconciles {period} as of tomorrow"))
def as_of_tomorrow(desk: Desk, period: str) -> None:
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    desk.run("reconcile", CONTRACT, "--period", period, "--as-of", tomorrow)


@when(parsers.re(r"the operator reconciles (?P<period>\S+) as of (?P<day>\d{4}-\d{2}-\d{2})$"))
def as_of_day(desk: Desk, period: str, day: str) -> None:
    desk.run("reconcile", CONTRACT, "--period", period, "--as-of", day)


@when(parsers.re(r"the operator reconciles (?P<period>\S+)$"))
def plain_run(desk: Desk, period: str) -> None:
    desk.run("reconcile", CONTRACT, "--period", period)


@when(
    parsers.parse('the operator rewinds {period} to {day} because "{reason}" and answers {answer}')
)
def rewinds(desk: Desk, period: str, day: str, reason: str, answer: str) -> None:
    reply = {"yes": "y\n", "no": "n\n"}[answer]
    desk.run(
        *("reconcile", CONTRACT, "--period", period),
        *("--rewind-to", day, "--reason", reason),
        answer=reply,
    )
    assert desk.last.exit_code == (0 if answer == "yes" else 1), desk.last.output


@then(parsers.parse('the operator is told "{words}"'))
def told(desk: Desk, words: str) -> None:
    assert desk.last.exit_code == 1
    assert words in desk.last.stderr
    assert "Traceback" not in desk.last.output


@then(parsers.parse('the operator is told how to ask for it: "{words}"'))
def told_how(desk: Desk, words: str) -> None:
    told(desk, words)


@then("nothing was written to the ledger")
def nothing_written(desk: Desk) -> None:
    assert desk.counts() == desk.before


@then(parsers.parse("the operator was shown that it would make {count:d} postings"))
def shown_count(desk: Desk, count: int) -> None:
    assert f"it would make {count} posting(s):" in desk.last.stdout


@then(parsers.parse('the operator was shown "{words}"'))
def shown(desk: Desk, words: str) -> None:
    assert words in desk.last.stdout


@then(parsers.parse("{period} holds postings of {dwp} for dwp and {topup} for topup"))
def holds(desk: Desk, period: str, dwp: str, topup: str) -> None:
    with unit_of_work(desk.world.engine) as session:
        found = session.execute(
            select(col(Posting.payer), func.sum(col(Posting.amount)))
            .where(col(Posting.period) == period)
            .group_by(Posting.payer)
        ).all()
    pence = {payer: int(total) for payer, total in found}
    assert pence == {"dwp": int(float(dwp) * 100), "topup": int(float(topup) * 100)}


@then(parsers.parse('the run and the audit log keep the reason "{reason}"'))
def reason_kept(desk: Desk, reason: str) -> None:
    with unit_of_work(desk.world.engine) as session:
        run = session.scalars(select(ReconcileRun).order_by(col(ReconcileRun.id).desc())).first()
        entry = session.scalars(
            select(AuditLog)
            .where(col(AuditLog.action) == "reconcile.run")
            .order_by(col(AuditLog.id).desc())
        ).first()
    assert run is not None and run.rewind is not None and run.rewind["reason"] == reason
    assert entry is not None and entry.details["rewind"]["reason"] == reason


@then(parsers.parse("the list of periods ends at {period}"))
def periods_end(desk: Desk, period: str) -> None:
    listed = desk.run("periods", CONTRACT).stdout.splitlines()
    assert listed[0].split()[0] == "2015-Q1"
    assert listed[-1].split()[0] == period


@when(parsers.parse("a provider sends, on {day}, P4's job entry dated {achieved}"))
def sends_future(desk: Desk, day: str, achieved: str) -> None:
    try:
        desk.world.evidence(f"E4,P4,job_entry,{achieved},payslip,,\n", when=day)
    except RejectedUpload as refused:
        desk.refused = refused


@then(parsers.parse('the provider is told "{words}"'))
def provider_told(desk: Desk, words: str) -> None:
    assert desk.refused is not None
    assert any(words in line for line in desk.refused.lines()), desk.refused.lines()


@when("such evidence was stored all the same and verified")
def stored_anyway(desk: Desk) -> None:
    # as intake before the rule stored it, or any path around intake
    with unit_of_work(desk.world.engine) as session:
        session.add(
            Evidence(
                contract_id=CONTRACT,
                # ledger keys, as intake stores them: <provider>/<local id>
                evidence_id="acme/E4",
                participant_id="acme/P4",
                metric="job_entry",
                achieved_on=date(2016, 11, 1),
                evidence_type="payslip",
                submitted_at=at("2015-11-02"),
                submitted_by="acme",
                source="direct",
            )
        )
    desk.world.decide("E4,verified,\n", when="2015-11-03")


@then(parsers.parse('P4 has been paid nothing, because "{reason}"'))
def p4_unpaid(desk: Desk, reason: str) -> None:
    with unit_of_work(desk.world.engine) as session:
        paid = session.scalar(
            select(func.count())
            .select_from(Posting)
            .where(col(Posting.participant_id) == "acme/P4")
        )
    assert paid == 0
    said = desk.run("ledger", "explain", CONTRACT, "P4", "--as-of", "2017-01-05")
    assert f"not paid: {reason}: achieved 2016-11-01 after it was submitted on 2015-11-02" in (
        said.stdout
    )


@when(parsers.parse("the operator explains {participant} as of {day}"))
def explains(desk: Desk, participant: str, day: str) -> None:
    assert desk.run("ledger", "explain", CONTRACT, participant, "--as-of", day).exit_code == 0


@then(parsers.parse("the explanation shows {participant}'s evidence {evidence} but no posting"))
def shows_evidence_only(desk: Desk, participant: str, evidence: str) -> None:
    out = desk.last.stdout
    # the intermediary reads ledger keys, <provider>/<local id>
    assert f"evidence acme/{evidence} achieved" in out and "  posting " not in out


@then(parsers.parse("the explanation shows {count:d} postings for {participant}"))
def shows_postings(desk: Desk, count: int, participant: str) -> None:
    assert desk.last.stdout.count("  posting ") == count
