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

import shutil
import tempfile
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
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

from contract_specs.model import ContractSpec
from ledger.services.contracts import ActiveSpec, register_spec, remember
from ledger.storage.db import make_engine, unit_of_work, upgrade
from reconciliation.periods import Period, period_containing
from tests.reference.entitlement import reference_entitlement
from tests.simulation.world import Outcome, World, postings_by_key, raw_facts

LOCAL_IDS = [f"P{n}" for n in range(1, 8)]
METRICS = ["job_entry", "job_sustained", "nqf2", "earnings", "earnings_768", "no_such_metric"]
TYPES = ["payslip", "payslip", "employer_letter", "other", ""]
START = datetime(2015, 2, 1, 9, 0, tzinfo=UTC)


def _day(moment: datetime) -> str:
    return moment.date().isoformat()


class LedgerMachine(RuleBasedStateMachine):
    """Random histories of one contract (the small rate card of tests/conftest.py)."""

    # set by the test before running: a fresh database URL per history, and its clean-up
    database: ClassVar[Callable[[Path], tuple[str, Callable[[], None]]]]
    spec: ClassVar[ContractSpec]

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="sim-"))
        url, self.drop = type(self).database(self.folder)
        self.engine: Engine = make_engine(url)
        if not url.startswith("sqlite"):
            upgrade(self.engine)  # SQLite files come migrated (test_simulator._sqlite)
        with unit_of_work(self.engine) as session:
            register_spec(session, self.spec, {"simulator": True}, actor="sim", now=START)
        remember(self.spec)
        self.world = World(self.engine, ActiveSpec(1, self.spec), self.folder)
        self.clock = START
        self.enrolled: dict[str, date] = {}  # local id -> start date, as the ledger took it
        self.submitted: list[str] = []
        self.last_run: tuple[Period, datetime] | None = None

    def teardown(self) -> None:
        self.engine.dispose()
        self.drop()
        shutil.rmtree(self.folder, ignore_errors=True)

    # --- the operations -------------------------------------------------------------------

    @initialize(starts=st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=3))
    def enrol_the_first(self, starts: list[int]) -> None:
        """The provider's first file: a few eligible people who started in January."""
        rows = [
            [
                f"P{n}",
                "c1",
                "acme",
                (date(2015, 1, 1) + timedelta(days=d)).isoformat(),
                "1995-06-15",
            ]
            for n, d in enumerate(starts, start=1)
        ]
        assert self.world.enrol(rows, self.clock).stored
        for local, _, _, start, _ in rows:
            self.enrolled[local] = date.fromisoformat(start)

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

    @rule(
        people=st.lists(
            st.tuples(
                st.sampled_from(LOCAL_IDS),
                st.integers(min_value=-40, max_value=340),
                st.integers(min_value=12, max_value=27),
                st.sampled_from(["c1"] * 9 + ["nope"]),
            ),
            min_size=1,
            max_size=4,
        )
    )
    def enrol(self, people: list[tuple[str, int, int, str]]) -> None:
        """A file of participants: some too old or young, outside the window, repeated, or of
        a cohort that does not exist; the cohort holds five."""
        rows = []
        for local, start_offset, age, cohort in people:
            start = date(2015, 1, 1) + timedelta(days=start_offset)
            birth = date(start.year - age, 6, 15)
            rows.append([local, cohort, "acme", start.isoformat(), birth.isoformat()])
        outcome = self._refusable(lambda: self.world.enrol(rows, self.clock))
        if outcome.stored:
            for local, _, _, started, _ in rows:
                self.enrolled.setdefault(local, date.fromisoformat(started))

    @rule(
        pick=st.integers(min_value=0, max_value=100),
        fresh=st.sampled_from([True, True, True, False]),
        stranger=st.sampled_from([False] * 9 + [True]),
        metric=st.sampled_from(METRICS),
        lag=st.one_of(
            st.integers(min_value=0, max_value=120), st.integers(min_value=-30, max_value=400)
        ),
        kind=st.sampled_from(TYPES),
        quantity=st.decimals(min_value=-200, max_value=900, places=2, allow_nan=False),
        muddle=st.sampled_from([False] * 9 + [True]),
    )
    def submit(
        self,
        pick: int,
        fresh: bool,
        stranger: bool,
        metric: str,
        lag: int,
        kind: str,
        quantity: Decimal,
        muddle: bool,
    ) -> None:
        """Evidence, mostly for an enrolled participant and well formed; sometimes for a
        stranger, a reused id, a quantity where none belongs (or none where one does)."""
        people = sorted(self.enrolled)
        local = "P99" if stranger else people[pick % len(people)]
        # achieved `lag` days before today (a negative lag: a date still to come)
        achieved = self.clock.date() - timedelta(days=lag)
        measured = metric == "earnings"
        amount = str(quantity) if measured != muddle else ""
        if fresh or not self.submitted:
            evidence_id = f"E{len(self.submitted) + 1}"
        else:
            evidence_id = self.submitted[pick % len(self.submitted)]
        row = [evidence_id, local, metric, achieved.isoformat(), kind, amount, f"ref {evidence_id}"]
        outcome = self._refusable(lambda: self.world.submit([row], self.clock))
        if outcome.stored and evidence_id not in self.submitted:
            self.submitted.append(evidence_id)

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
        decision=st.sampled_from(["verified", "verified", "rejected", "revoked"]),
        reason=st.sampled_from(["checked with employer", ""]),
    )
    def decide(self, pick: int, decision: str, reason: str) -> None:
        evidence_id = self.submitted[pick % len(self.submitted)]
        self._refusable(lambda: self.world.decide([[evidence_id, decision, reason]], self.clock))

    @rule(
        period_shift=st.sampled_from([0, 0, 0, -1, -1, -3, 1]),
        back=st.sampled_from([0, 0, 0, 1, 10, 100]),
        close=st.booleans(),
    )
    def reconcile(self, period_shift: int, back: int, close: bool) -> None:
        period = period_containing(self.clock.date(), self.spec.contract.payment_frequency)
        for _ in range(abs(period_shift)):
            period = period.next() if period_shift > 0 else _previous(period)
        as_of = self.clock - timedelta(days=back)
        outcome = self._refusable(
            lambda: self.world.reconcile(period.id, as_of, self.clock, close and back == 0)
        )
        if outcome.stored:
            self.last_run = (period, as_of)

    @rule(days=st.integers(min_value=1, max_value=75))
    def tick(self, days: int) -> None:
        self.clock += timedelta(days=days)

    @rule(days=st.integers(min_value=1, max_value=20), close=st.booleans())
    def quarter_end(self, days: int, close: bool) -> None:
        """What an intermediary does each quarter: a few days into the next, the one just
        ended is reconciled as of now (and sometimes closed)."""
        ended = period_containing(self.clock.date(), self.spec.contract.payment_frequency)
        self.clock = datetime.combine(ended.end, self.clock.timetz()) + timedelta(days=days)
        outcome = self._refusable(
            lambda: self.world.reconcile(ended.id, self.clock, self.clock, close)
        )
        if outcome.stored:
            self.last_run = (ended, self.clock)

    @precondition(lambda self: self.last_run is not None)
    @rule(payer=st.sampled_from(["dwp", "topup"]), off=st.sampled_from([0, 0, 1, -1, 5000]))
    def remit(self, payer: str, off: int) -> None:
        claims = self.world.query(
            "select reference, amount from recon_claims where contract_id = :c and payer = :p"
            " order by number desc",
            c=self.world.contract_id,
            p=payer,
        )
        if not claims:
            return
        reference, amount = claims[0]
        money = Decimal(int(amount) + off).scaleb(-2)
        row = [payer, str(money), _day(self.clock), reference]
        self._refusable(lambda: self.world.remit([row], self.clock))

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
        period, cut_off = self.last_run
        expected: dict[tuple[str, str, int, str], int] = {}
        for line in reference_entitlement(self.spec, *raw_facts(self.world, cut_off)).lines:
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
        cap = self.spec.caps.per_participant
        if cap is None:
            return
        limit = int(cap.scaleb(self.spec.contract.exponent))
        for pid, total in self.world.query(
            "select participant_id, sum(amount) from postings where contract_id = :c"
            " group by participant_id",
            c=self.world.contract_id,
        ):
            assert int(total) <= limit, f"{pid} paid {total} over the cap {limit}"


def _previous(period: Period) -> Period:
    return period_containing(period.start - timedelta(days=1), period.frequency)
