"""A deterministic simulator: random histories of the real operations, invariants after each.

Each step is an operation a party would perform (enrol, submit evidence, verify, reject, revoke,
reconcile a period at a cut-off, close it, import a remittance, let the clock move on), sent
through the service functions the CLI and the API call, on a real database. After every step
the invariants below must hold; hypothesis shrinks a failing history to a minimal one and prints
it as the steps to replay (docs/testing.md).

Invariants:
- for every key, the sum of its postings equals the entitlement the independent reference
  engine (tests/reference/) computes from the raw stored facts as of the last run's cut-off
  (for the keys that run settles: achieved by its period's end, or posted before);
- nothing is posted for an outcome achieved after its run's cut-off or after its evidence was
  submitted; no posting lands in a closed period after it closed;
- each period's claims to a payer add up to that payer's postings in the period;
- no participant is paid more than the per-participant cap;
- a refused operation changes nothing (every table's row count and the audit chain's head);
- the audit chain verifies.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)
from sqlalchemy import Engine

from contract_specs.model import AttributeType, ContractSpec, Role
from ledger.storage.db import make_engine, unit_of_work, upgrade
from reconciliation.periods import Period, period_containing
from reconciliation.rewind import Rewind
from reconciliation.status import period_bridge
from reconciliation.verdict import Verdict
from tests.reference.entitlement import RefLine, reference_entitlement
from tests.simulation import faults
from tests.simulation.contracts import Terms, amended, contracts, terms
from tests.simulation.world import EVIDENCE_HEADER, Outcome, World, postings_by_key, raw_facts

LOCAL_IDS = [f"P{n}" for n in range(1, 8)]
TYPES = ["payslip", "employer_letter", "certificate", "other", ""]
# quantities at and around the thresholds a contract may draw, and corrections below zero
QUANTITIES = st.one_of(
    st.decimals(min_value=-200, max_value=900, places=2, allow_nan=False),
    st.sampled_from(
        [Decimal(q) for q in ("768", "767.99", "768.01", "0.01", "-768", "500.50", "1000", "-0.01")]
    ),
)
WHEN = ["recent", "recent", "recent", "recent", "late", "before_start", "after_last", "future"]
REMITTANCES = [
    "exact", "exact", "penny_under", "penny_over", "far", "split", "combined", "wrong_reference",
    "again",
]  # fmt: skip


def _day(moment: datetime) -> str:
    return moment.date().isoformat()


class LedgerMachine(RuleBasedStateMachine):
    """Random histories of one contract: an example spec or one drawn at random."""

    # set by the test before running: a fresh database URL per history, and its clean-up
    database: ClassVar[Callable[[Path], tuple[str, Callable[[], None]]]]
    # what `begin` draws the contract from (a regression test may fix it)
    contract_choices: ClassVar[st.SearchStrategy[Path | Terms]] = contracts()
    # steps killed mid-write left in this run of the suite (each costs a process start)
    kills_left: ClassVar[int] = 0

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="sim-"))
        self.url, self.drop = LedgerMachine.database(self.folder)
        self.engine: Engine = make_engine(self.url)
        if not self.url.startswith("sqlite"):
            upgrade(self.engine)  # SQLite files come migrated (test_simulator._sqlite)
        self.world = World(self.engine, self.folder)
        self.clock = datetime(2015, 2, 1, 9, 0, tzinfo=UTC)
        self.terms: Terms | None = None
        self.text = ""
        self.spec: ContractSpec
        self.enrolled: dict[str, date] = {}  # local id -> start date, as the ledger took it
        self.submitted: dict[str, list[str]] = {}  # evidence id -> the row as stored
        self.results = 0
        self.last_run: tuple[Period, datetime, ContractSpec] | None = None
        self._cached: tuple[object, list[RefLine]] | None = None

    def teardown(self) -> None:
        self.engine.dispose()
        self.drop()
        shutil.rmtree(self.folder, ignore_errors=True)

    # --- the operations -------------------------------------------------------------------

    @initialize(
        contract=st.deferred(lambda: LedgerMachine.contract_choices),
        starts=st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=3),
    )
    def begin(self, contract: Path | Terms, starts: list[int]) -> None:
        """The contract is loaded (`outcomes contract load`), then the provider's first file:
        a few people of nineteen who started in the first cohort's first month."""
        self.terms = contract if isinstance(contract, Terms) else None
        self.text = contract.text() if isinstance(contract, Terms) else contract.read_text()
        assert self.world.load_spec(self.text, self.clock).stored, "the contract would not load"
        self.spec = self.world.spec
        first = self.spec.cohorts[0]
        self.clock = datetime.combine(first.enrolment_from + timedelta(days=31), time(9), UTC)
        # flags both ways: a contract may admit only those with a flag, or only those without
        # (one file each: a file is enrolled whole or not at all)
        for n, d in enumerate(starts, start=1):
            for flag in (n % 2 == 0, n % 2 == 1):
                if self._enrol([(f"P{n}", d, 19, 0, 0, flag)]).stored:
                    break
        assert self.enrolled or self.terms is None, "nobody could be enrolled"

    def _refusable(self, operation: Callable[[], Outcome]) -> Outcome:
        """Run `operation`; a refusal must leave every table and the chain as they were.
        Every operation happens at a moment of its own (a minute after the one before), as
        they would in life: a decision recorded after a run is after that run's cut-off."""
        self.clock += timedelta(minutes=1)
        before = self.world.snapshot()
        outcome = operation()
        if not outcome.stored:
            assert self.world.snapshot() == before, (
                f"a refused operation changed the ledger: {outcome.said}"
            )
        return outcome

    def _period(self, day: date) -> Period:
        return period_containing(day, self.spec.contract.payment_frequency)

    def _enrol(self, people: list[tuple[str, int, int, int, int, bool]]) -> Outcome:
        cohorts = [c.id for c in self.spec.cohorts] + ["nope"]
        providers = [p.id for p in self.spec.parties if p.role == Role.PROVIDER] + ["nobody"]
        header = ["participant_id", "cohort", "provider", "start_date"]
        header += [a.name for a in self.spec.attributes]
        rows = []
        for local, offset, age, cohort, provider, flag in people:
            chosen = self.spec.cohorts[cohort % len(self.spec.cohorts)] if cohort < 9 else None
            start = (chosen or self.spec.cohorts[0]).enrolment_from + timedelta(days=offset)
            row = [local, chosen.id if chosen else cohorts[-1]]
            row += [providers[0] if provider < 8 else providers[provider % len(providers)]]
            row += [start.isoformat()]
            for attribute in self.spec.attributes:
                if attribute.type == AttributeType.DATE:
                    row.append(date(start.year - age, 6, 15).isoformat())
                elif attribute.type == AttributeType.BOOLEAN:
                    row.append("true" if flag else "false")
                elif attribute.values:
                    row.append(attribute.values[age % len(attribute.values)])
                elif attribute.type == AttributeType.STRING:
                    row.append("x")
                else:
                    row.append(str(age))
            rows.append(row)
        outcome = self._refusable(lambda: self.world.enrol(header, rows, self.clock))
        if outcome.stored:
            for row in rows:
                self.enrolled.setdefault(row[0], date.fromisoformat(row[3]))
        return outcome

    @rule(
        people=st.lists(
            st.tuples(
                st.sampled_from(LOCAL_IDS),
                st.integers(min_value=-40, max_value=340),
                st.integers(min_value=12, max_value=27),
                st.integers(min_value=0, max_value=9),
                st.integers(min_value=0, max_value=9),
                st.sampled_from([True, True, True, False]),
            ),
            min_size=1,
            max_size=4,
        )
    )
    def enrol(self, people: list[tuple[str, int, int, int, int, bool]]) -> None:
        """A file of participants: some too old or young, outside the window, repeated, of a
        cohort that does not exist or a provider the contract does not name, or past the
        cohort's capacity."""
        self._enrol(people)

    @rule(
        pick=st.integers(min_value=0, max_value=100),
        fresh=st.sampled_from([True, True, True, False]),
        again=st.sampled_from([False] * 5 + [True]),
        stranger=st.sampled_from([False] * 9 + [True]),
        metric=st.integers(min_value=0, max_value=100),
        when=st.sampled_from(WHEN),
        lag=st.integers(min_value=0, max_value=120),
        kind=st.sampled_from(TYPES),
        quantity=QUANTITIES,
        muddle=st.sampled_from([False] * 9 + [True]),
    )
    def submit(
        self,
        pick: int,
        fresh: bool,
        again: bool,
        stranger: bool,
        metric: int,
        when: str,
        lag: int,
        kind: str,
        quantity: Decimal,
        muddle: bool,
    ) -> None:
        """Evidence, mostly for an enrolled participant and well formed; sometimes sent again
        exactly, late, before the person started, after the contract's last outcome date, in
        the future, for a stranger, under a reused id, with a quantity where none belongs (or
        none where one does), at or around a threshold, or negative (a correction)."""
        if again and self.submitted:
            sent = self.submitted[list(self.submitted)[pick % len(self.submitted)]]
            self._refusable(lambda: self.world.submit([sent], self.clock))
            return
        people = sorted(self.enrolled)
        local = "P99" if stranger or not people else people[pick % len(people)]
        measured = {m.id for m in self.spec.measures}
        names = [m.id for m in self.spec.metrics] + sorted(measured)
        names += [e.id for e in self.spec.events] + ["no_such_metric"]
        name = names[metric % len(names)]
        achieved = self._achieved(when, lag, local)
        amount = str(quantity) if (name in measured) != muddle else ""
        if fresh or not self.submitted:
            evidence_id = f"E{len(self.submitted) + 1}"
        else:
            evidence_id = list(self.submitted)[pick % len(self.submitted)]
        row = [evidence_id, local, name, achieved.isoformat(), kind, amount, f"ref {evidence_id}"]
        outcome = self._refusable(lambda: self.world.submit([row], self.clock))
        if outcome.stored:
            self.submitted.setdefault(evidence_id, row)

    def _achieved(self, when: str, lag: int, local: str) -> date:
        today = self.clock.date()
        last = self.spec.contract.last_outcome_date
        if when == "late":
            return today - timedelta(days=300 + lag * 5)
        if when == "before_start" and local in self.enrolled:
            return self.enrolled[local] - timedelta(days=1 + lag % 30)
        if when == "after_last" and last is not None:
            return last + timedelta(days=1 + lag % 30)
        if when == "future":
            return today + timedelta(days=1 + lag % 30)
        return today - timedelta(days=lag)

    @precondition(lambda self: bool(self.submitted))
    @rule()
    def verify_everything_submitted(self) -> None:
        """A validator verifies the whole backlog in one file (what is decided already is
        sent again: unchanged, or refused where it cannot follow)."""
        rows = [[e, "verified", ""] for e in self.submitted]
        self._refusable(lambda: self.world.decide(rows, self.clock))

    @precondition(lambda self: bool(self.submitted))
    @rule(
        pick=st.integers(min_value=0, max_value=100),
        decision=st.sampled_from(["verified", "verified", "rejected", "revoked", "maybe"]),
        reason=st.sampled_from(["checked with employer", ""]),
    )
    def decide(self, pick: int, decision: str, reason: str) -> None:
        """Verify, reject or revoke one row (paid or not; of a manual or automatic metric)."""
        evidence_id = list(self.submitted)[pick % len(self.submitted)]
        self._refusable(lambda: self.world.decide([[evidence_id, decision, reason]], self.clock))

    @precondition(lambda self: bool(self.spec.cohort_metrics))
    @rule(
        metric=st.integers(min_value=0, max_value=9),
        cohort=st.integers(min_value=0, max_value=9),
        observed=st.sampled_from(["0.9", "0.5", "1.0", "1.2", "0", "12.5", "0.94"]),
        comparison=st.sampled_from(["1.0", "1.0", "0.8", "0", "10"]),
        units=st.integers(min_value=-1, max_value=60),
        back=st.integers(min_value=-5, max_value=200),
        fresh=st.sampled_from([True, True, True, False]),
    )
    def report_result(
        self,
        metric: int,
        cohort: int,
        observed: str,
        comparison: str,
        units: int,
        back: int,
        fresh: bool,
    ) -> None:
        """An evaluator's cohort result: mostly for a cohort the metric covers; sometimes for
        another cohort, with no units, evaluated in the future, or a reused id."""
        chosen = self.spec.cohort_metrics[metric % len(self.spec.cohort_metrics)]
        cohorts = list(chosen.cohorts) or ["pool"]
        name = cohorts[cohort % len(cohorts)] if cohort < 8 else "nope"
        if fresh or not self.results:
            self.results += 1
        result_id = f"R{self.results}"
        evaluated = self.clock.date() - timedelta(days=back)
        row = [result_id, chosen.id, name, observed, comparison, units, evaluated.isoformat(), "x"]
        self._refusable(lambda: self.world.report([row], self.clock))

    @rule(new=terms(), price=st.integers(min_value=1, max_value=500000), draft=st.booleans())
    def amend(self, new: Terms, price: int, draft: bool) -> None:
        """A new version of the contract (tariff, caps, payer shares, prerequisite gap),
        loaded in force, or as a draft and then activated; an example spec changes a price."""
        if self.terms is not None:
            terms_now = amended(self.terms, new)
            text = terms_now.text()
        else:
            money = f"{price // 100}.{price % 100:02d}"
            text = re.sub(r'price: "[0-9.]+"', f'price: "{money}"', self.text, count=1)
            text += f"\n# amended at {self.clock.isoformat()}\n"
        loaded = self._refusable(lambda: self.world.load_spec(text, self.clock, active=not draft))
        if not loaded.stored:
            return
        if draft:
            version = loaded.done.version
            assert self._refusable(lambda: self.world.activate(version, self.clock)).stored
        self.text = text
        if self.terms is not None:
            self.terms = terms_now
        self.spec = self.world.spec

    def _run(self, period: Period, as_of: datetime, close: bool) -> None:
        outcome = self._refusable(lambda: self.world.reconcile(period.id, as_of, self.clock, close))
        if outcome.stored:
            self.last_run = (period, as_of, self.spec)

    @rule(
        period_shift=st.sampled_from([0, 0, 0, -1, -1, -3, 1, -60, 60]),
        back=st.sampled_from([0, 0, 0, 1, 10, 100]),
        close=st.booleans(),
    )
    def reconcile(self, period_shift: int, back: int, close: bool) -> None:
        """A period (this one, an earlier one, the next, or one outside the contract) at a
        cut-off (now, or earlier: refused when earlier than the latest run's), sometimes
        closing it (a closed period refuses every later run)."""
        period = self._period(self.clock.date())
        for _ in range(abs(period_shift)):
            period = period.next() if period_shift > 0 else _previous(period)
        self._run(period, self.clock - timedelta(days=back), close and back == 0)

    @precondition(lambda self: self.last_run is not None)
    @rule(back=st.sampled_from([0, 1, 10, 100]), close=st.booleans(), confirm=st.booleans())
    def rewind(self, back: int, close: bool, confirm: bool) -> None:
        """An operator goes back in time: the latest run's period at an earlier cut-off,
        previewed (which stores nothing), then sometimes confirmed with the preview's token."""
        assert self.last_run is not None
        period, cut_off, _ = self.last_run
        to = cut_off - timedelta(days=back)
        asked = Rewind(to, "evidence found to be forged")
        self.clock += timedelta(minutes=1)
        before = self.world.snapshot()
        shown = self.world.preview_rewind(period.id, asked, self.clock)
        assert self.world.snapshot() == before, f"a rewind preview stored something: {shown}"
        if not shown.stored:
            return
        if confirm:
            token = Rewind(to, asked.reason, shown.done.token)
            outcome = self._refusable(
                lambda: self.world.reconcile(period.id, to, self.clock, close, token)
            )
            if outcome.stored:
                self.last_run = (period, to, self.spec)

    @rule(days=st.integers(min_value=1, max_value=75))
    def tick(self, days: int) -> None:
        self.clock += timedelta(days=days)

    @rule(days=st.integers(min_value=1, max_value=20), close=st.booleans())
    def quarter_end(self, days: int, close: bool) -> None:
        """What an intermediary does each period: a few days into the next, the one just
        ended is reconciled as of now (and sometimes closed)."""
        ended = self._period(self.clock.date())
        self.clock = datetime.combine(ended.end, self.clock.timetz()) + timedelta(days=days)
        self._run(ended, self.clock, close)

    @precondition(lambda self: self.last_run is not None)
    @rule(
        payer=st.integers(min_value=0, max_value=9),
        shape=st.sampled_from(REMITTANCES),
        part=st.integers(min_value=1, max_value=99),
    )
    def remit(self, payer: int, shape: str, part: int) -> None:
        """A payer pays its latest claim: exactly, a penny off either way (within or outside
        the tolerance), far off, in two parts, together with its claim before in one payment,
        quoting a reference that names no claim, or the same payment sent again."""
        payers = [p.party for p in self.spec.payers]
        name = payers[payer % len(payers)]
        claims = self.world.query(
            "select reference, amount from recon_claims where contract_id = :c and payer = :p"
            " order by number desc",
            c=self.world.contract_id,
            p=name,
        )
        if not claims:
            return
        reference, amount = claims[0][0], int(claims[0][1])
        paid = {"exact": 0, "penny_under": -1, "penny_over": 1, "far": 5000}.get(shape, 0)
        rows = [[reference, amount + paid]]
        if shape == "split":
            first = amount * part // 100
            rows = [[reference, first], [reference, amount - first]]
        elif shape == "combined" and len(claims) > 1:
            rows = [[f"{reference} {claims[1][0]}", amount + int(claims[1][1])]]
        elif shape == "wrong_reference":
            rows = [["NO-SUCH-CLAIM", amount]]
        elif shape == "again":
            rows = rows * 2
        lines = [[name, str(Decimal(m).scaleb(-2)), _day(self.clock), r] for r, m in rows]
        self._refusable(lambda: self.world.remit(lines, self.clock))

    @precondition(lambda self: bool(self.enrolled))
    @rule(
        operation=st.sampled_from(["reconcile", "submit"]),
        delay=st.integers(min_value=0, max_value=400),
    )
    def killed_mid_write(self, operation: str, delay: int) -> None:
        """A step run in a process of its own, killed (SIGKILL) `delay` milliseconds into its
        write; the history goes on from what the database holds, and the step run again
        converges: it is stored once, and a third run changes nothing. Past the run's budget
        of kills (each starts a process) the step is not killed, only run again."""
        self.clock += timedelta(minutes=1)
        period = self._period(self.clock.date())
        if operation == "submit":
            evidence_id = f"E{len(self.submitted) + 1}"
            local = sorted(self.enrolled)[0]
            name = self.spec.metrics[0].id if self.spec.metrics else "no_such_metric"
            row = [evidence_id, local, name, _day(self.clock), "payslip", "", "killed"]
            argument = str(self.world._file(EVIDENCE_HEADER, [row]))

            def again() -> Outcome:
                return self.world.submit([row], self.clock)
        else:
            argument = period.id

            def again() -> Outcome:
                return self.world.reconcile(period.id, self.clock, self.clock, False)

        if LedgerMachine.kills_left > 0:
            LedgerMachine.kills_left -= 1
            faults.kill_during(
                self.url, self.world.contract_id, operation, argument, self.clock, delay
            )
        # the killed process's moment has passed: the re-runs are a minute later each
        self.clock += timedelta(minutes=1)
        rerun = again()
        if rerun.stored and operation == "submit":
            self.submitted.setdefault(row[0], row)
        if rerun.stored and operation == "reconcile":
            self.last_run = (period, self.clock, self.spec)
        self.clock += timedelta(minutes=1)
        settled = self.world.snapshot()
        third = again()
        assert third.stored == rerun.stored, (rerun.said, third.said)
        # what the step writes is there once: the evidence row, or the run's postings
        # (a third run is recorded, as every run and upload is, but posts nothing)
        table = "evidence" if operation == "submit" else "postings"
        counts = dict(settled.counts)
        assert dict(self.world.snapshot().counts)[table] == counts[table], (
            f"a re-run of the killed {operation} stored more {table}"
        )
        if operation == "submit":
            assert self.world.query(
                "select count(*) from evidence where evidence_id in (:e, :k)",
                e=row[0],
                k=f"{self.spec.parties_with(Role.PROVIDER)[0].id}/{row[0]}",
            )[0][0] == int(rerun.stored)
        else:
            if third.stored:
                self.last_run = (period, self.clock, self.spec)

    # --- the invariants -------------------------------------------------------------------

    @invariant()
    def audit_chain_verifies(self) -> None:
        assert self.world.chain_intact(), "the audit chain is broken"

    @invariant()
    def postings_equal_the_reference(self) -> None:
        posted = postings_by_key(self.world)
        if self.last_run is None:
            assert not posted, "postings without a run"
            return
        period, cut_off, _ = self.last_run
        expected: dict[tuple[str, str, int, str], int] = {}
        for line in self._reference():
            if line.achieved_on <= period.end or line.key() in posted:
                expected[line.key()] = line.amount
        for key in set(expected) | set(posted):
            assert posted.get(key, 0) == expected.get(key, 0), (
                f"{key}: posted {posted.get(key, 0)}, the reference says {expected.get(key, 0)}"
                f" as of {cut_off} for {period.id}"
            )

    @invariant()
    def nothing_paid_before_it_happened(self) -> None:
        rows = self.world.query(
            "select p.posting_id, p.achieved_on, r.cut_off from postings p"
            " join recon_runs r on r.run_id = p.run_id"
            " where p.contract_id = :c and p.amount > 0 and p.achieved_on is not null",
            c=self.world.contract_id,
        )
        for posting_id, achieved, cut_off in rows:
            assert str(achieved)[:10] <= str(cut_off)[:10], f"{posting_id} paid before it happened"
        late = self.world.query(
            "select p.posting_id, p.evidence_ids, p.achieved_on from postings p"
            " where p.contract_id = :c and p.amount > 0",
            c=self.world.contract_id,
        )
        submitted = {
            evidence_id: str(at)[:10]
            for evidence_id, at in self.world.query(
                "select evidence_id, submitted_at from evidence where contract_id = :c",
                c=self.world.contract_id,
            )
        }
        for posting_id, ids, achieved in late:
            for evidence_id in filter(None, (ids or "").split(";")):
                if evidence_id in submitted and achieved is not None:
                    assert str(achieved)[:10] <= submitted[evidence_id], (
                        f"{posting_id} pays {evidence_id}, achieved after it was submitted"
                    )

    @invariant()
    def closed_periods_take_nothing(self) -> None:
        rows = self.world.query(
            "select p.posting_id from postings p join recon_periods q"
            " on q.contract_id = p.contract_id and q.period = p.period"
            " where p.contract_id = :c and q.closed_at is not null and p.posted_at > q.closed_at",
            c=self.world.contract_id,
        )
        assert not rows, f"posted into a closed period: {rows}"

    @invariant()
    def claims_add_up(self) -> None:
        claims = dict(
            ((payer, period), int(total))
            for payer, period, total in self.world.query(
                "select payer, period, sum(amount) from recon_claims where contract_id = :c"
                " group by payer, period",
                c=self.world.contract_id,
            )
        )
        posted = dict(
            ((payer, period), int(total))
            for payer, period, total in self.world.query(
                "select payer, period, sum(amount) from postings where contract_id = :c"
                " group by payer, period",
                c=self.world.contract_id,
            )
        )
        for key in set(claims) | set(posted):
            assert claims.get(key, 0) == posted.get(key, 0), f"claims {key} != postings"

    @invariant()
    def caps_hold(self) -> None:
        """No cap is exceeded (per participant, a metric's amount and count, a payer's
        commitment, the contract), as the spec of the last run words them."""
        if self.last_run is None:
            return
        spec = self.last_run[2]
        exponent = spec.contract.exponent
        paid = {k: v for k, v in postings_by_key(self.world).items() if v}
        for limit, total, what in _cap_totals(spec, paid):
            assert total <= int(limit.scaleb(exponent)), f"{what} paid {total} over its cap {limit}"
        for metric in spec.metrics:
            if metric.caps.count is not None:
                keys = {(pid, n) for pid, m, n, _ in paid if m == metric.id}
                assert len(keys) <= metric.caps.count, f"{metric.id} paid {len(keys)} times"

    @invariant()
    def each_cap_cut_exactly(self) -> None:
        """An outcome the reference cuts by a cap leaves that cap met to the penny (when the
        last run settles every line, so that the ledger's totals are the reference's)."""
        if self.last_run is None:
            return
        period, _, spec = self.last_run
        lines = self._reference()
        posted = postings_by_key(self.world)
        if any(line.achieved_on > period.end and line.key() not in posted for line in lines):
            return
        # a payer's commitment pays less than the caps counted (a cap takes the whole amount,
        # the payers pay their parts of it): the other caps' totals are then not the postings'
        committed = any(line.cut_by == "payer_commitment" for line in lines)
        exponent = spec.contract.exponent
        totals = {what: (limit, total) for limit, total, what in _cap_totals(spec, posted)}
        for line in lines:
            scope = {
                "participant_cap": f"participant {line.participant_id}",
                "metric_amount_cap": f"metric {line.metric}",
                "contract_cap": "the contract",
                "payer_commitment": f"payer {line.payer}",
            }.get(line.cut_by)
            if scope is None or (line.amount == 0 and line.cut_by != "payer_commitment"):
                continue
            if committed and line.cut_by != "payer_commitment":
                continue
            limit, total = totals[scope]
            assert total == int(limit.scaleb(exponent)), (
                f"{line.key()} was cut by {line.cut_by}, but {scope} has {total} of {limit}"
            )

    @invariant()
    def reconciled_only_when_nothing_is_unexplained(self) -> None:
        """A period said to be reconciled has nothing unexplained: every payer's postings in
        it are its claims, what its last run said was owed, and what was received for them."""
        periods = [p for (p,) in self.world.query(
            "select period from recon_periods where contract_id = :c", c=self.world.contract_id
        )]  # fmt: skip
        if not periods:
            return
        with unit_of_work(self.engine) as session:
            bridges = [
                period_bridge(session, self.spec, period, self.clock.date()) for period in periods
            ]
        for bridge in bridges:
            if bridge.verdict is not Verdict.RECONCILED:
                continue
            claimed = self._sums("recon_claims", bridge.period)
            posted = self._sums("postings", bridge.period)
            assert claimed == posted, f"{bridge.period} reconciled, claims {claimed} != {posted}"
            for payer in bridge.payers:
                assert payer.unexplained == 0, f"{bridge.period} reconciled: {payer}"
                assert payer.owed == posted.get(payer.payer, 0), f"{bridge.period}: {payer}"
                assert payer.received + sum(
                    v for k, v in payer.explained.items() if k not in ("not_posted", "not_claimed")
                ) == claimed.get(payer.payer, 0), f"{bridge.period} reconciled: {payer}"

    def _reference(self) -> list[RefLine]:
        """The reference's lines as of the last run (computed once per state of the ledger)."""
        assert self.last_run is not None
        _, cut_off, spec = self.last_run
        state = (self.world.snapshot(), cut_off, spec.content_hash)
        if self._cached is None or self._cached[0] != state:
            facts = raw_facts(self.world, cut_off, spec)
            self._cached = (state, reference_entitlement(spec, *facts).lines)
        return self._cached[1]

    def _sums(self, table: str, period: str) -> dict[str, int]:
        return {
            payer: int(total)
            for payer, total in self.world.query(
                f"select payer, sum(amount) from {table} where contract_id = :c and period = :p"
                " group by payer",
                c=self.world.contract_id,
                p=period,
            )
            if int(total)
        }


def _cap_totals(
    spec: ContractSpec, posted: dict[tuple[str, str, int, str], int]
) -> list[tuple[Decimal, int, str]]:
    """(cap, what was posted under it, whose) for every cap the spec sets."""
    caps: list[tuple[Decimal, int, str]] = []
    people = {pid for pid, *_ in posted if not pid.startswith("cohort:")}
    if spec.caps.per_participant is not None:
        for pid in people:
            total = sum(v for (p, *_), v in posted.items() if p == pid)
            caps.append((spec.caps.per_participant, total, f"participant {pid}"))
    for metric in spec.metrics:
        if metric.caps.amount is not None:
            total = sum(v for (_, m, *_), v in posted.items() if m == metric.id)
            caps.append((metric.caps.amount, total, f"metric {metric.id}"))
    for payer in spec.payers:
        if payer.commitment is not None:
            total = sum(v for (*_, p), v in posted.items() if p == payer.party)
            caps.append((payer.commitment, total, f"payer {payer.party}"))
    if spec.caps.contract is not None:
        caps.append((spec.caps.contract, sum(posted.values()), "the contract"))
    return caps


def _previous(period: Period) -> Period:
    return period_containing(period.start - timedelta(days=1), period.frequency)
