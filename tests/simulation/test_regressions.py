"""Histories the simulator found or that matter enough to replay by name, each as steps.

Each test is a history as hypothesis prints it: the machine's steps in order, the invariants
checked after each one as the simulator would.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from tests.simulation import test_simulator
from tests.simulation.contracts import EXAMPLES, Terms
from tests.simulation.machine import LedgerMachine

# the small rate card of tests/conftest.py, as a drawn contract: job entry 3,500 split 80/20
SMALL = Terms(
    monthly=False,
    capacity=5,
    job_price="3500.00",
    job_price_later=None,
    job_count_cap=None,
    sustain_gap_days=91,
    nqf_price="3300.00",
    nqf_amount_cap=None,
    threshold="768",
    shares_first=80,
    shares_later=None,
    topup_commitment=None,
    per_participant="8200.00",
    contract_cap=None,
    cohort_price="10.00",
)


@pytest.fixture
def state() -> Iterator[LedgerMachine]:
    LedgerMachine.database = staticmethod(test_simulator._sqlite)
    machine = LedgerMachine()
    yield machine
    machine.teardown()


def check(state: LedgerMachine) -> None:
    state.audit_chain_verifies()
    state.postings_equal_the_reference()
    state.nothing_paid_before_it_happened()
    state.closed_periods_take_nothing()
    state.claims_add_up()
    state.caps_hold()
    state.each_cap_cut_exactly()
    state.reconciled_only_when_nothing_is_unexplained()


def test_a_decision_after_a_run_waits_for_the_next_run(state: LedgerMachine) -> None:
    """Found while building the simulator: evidence verified right after a quarter's run is
    not in that run (its cut-off came first), and the next run pays it."""
    state.begin(contract=SMALL, starts=[0])
    state.submit(
        again=False, fresh=True, kind="payslip", lag=0, metric=0, muddle=False, pick=0,
        quantity=Decimal("0"), stranger=False, when="recent",
    )  # fmt: skip
    check(state)
    state.quarter_end(close=False, days=5)
    check(state)
    state.verify_everything_submitted()
    check(state)
    state.quarter_end(close=False, days=5)
    check(state)
    assert state.world.query("select sum(amount) from postings")[0][0] == 350000


def test_a_revocation_after_payment_is_paid_back(state: LedgerMachine) -> None:
    state.begin(contract=SMALL, starts=[3])
    state.submit(
        again=False, fresh=True, kind="payslip", lag=2, metric=0, muddle=False, pick=0,
        quantity=Decimal("0"), stranger=False, when="recent",
    )  # fmt: skip
    state.verify_everything_submitted()
    state.quarter_end(close=True, days=3)
    check(state)
    state.decide(pick=0, decision="revoked", reason="employer says no")
    state.quarter_end(close=False, days=3)
    check(state)
    assert state.world.query("select sum(amount) from postings")[0][0] == 0


def test_evidence_for_a_stranger_before_anyone_is_enrolled_is_refused(
    state: LedgerMachine,
) -> None:
    """Found by the simulator (fair-chance-fund-ambition, whose first file was refused): an
    evidence file naming someone not enrolled, in a contract with nobody enrolled yet, failed
    with pyarrow's "Index 0 out of bounds" instead of saying the person is not enrolled."""
    example = next(e for e in EXAMPLES if e.name == "caps-boundaries.yaml")
    assert state.world.load_spec(example.read_text(), state.clock).stored
    state.spec = state.world.spec
    state.submit(
        again=False, fresh=True, kind="other", lag=50, metric=0, muddle=False, pick=100,
        quantity=Decimal("572.88"), stranger=True, when="before_start",
    )  # fmt: skip
    check(state)
    assert state.world.query("select count(*) from evidence")[0][0] == 0


def test_a_later_result_replaces_the_one_before_even_if_evaluated_earlier(
    state: LedgerMachine,
) -> None:
    """Found by the simulator (its own mistake, not the ledger's): a later submission for the
    same cohort metric replaces the earlier one, whatever its evaluation date (facts.py and
    docs/semantics.md section 4); the reference must be given only the current results."""
    state.begin(contract=SMALL, starts=[1])
    state.report_result(
        back=17, cohort=0, comparison="1.0", fresh=True, metric=0, observed="12.5", units=53
    )
    state.quarter_end(close=True, days=10)
    check(state)
    state.report_result(
        back=116, cohort=0, comparison="1.0", fresh=True, metric=0, observed="0.5", units=54
    )
    state.quarter_end(close=False, days=10)
    check(state)
    # 0.5 fewer per unit x 54 units = 27 units at 10.00
    assert state.world.query("select sum(amount) from postings")[0][0] == 27000


@pytest.mark.parametrize("delay", [0, 120])
def test_a_step_killed_mid_write_leaves_a_ledger_a_re_run_completes(
    state: LedgerMachine, delay: int
) -> None:
    """Faults, every run of the suite: a reconcile run and an evidence import each killed
    (SIGKILL) at once or a little into their write; the invariants hold on what
    the database holds, and each step run again converges (the step asserts it)."""
    LedgerMachine.kills_left = 2
    state.begin(contract=SMALL, starts=[0, 4])
    state.submit(
        again=False, fresh=True, kind="payslip", lag=3, metric=0, muddle=False, pick=0,
        quantity=Decimal("0"), stranger=False, when="recent",
    )  # fmt: skip
    state.verify_everything_submitted()
    state.killed_mid_write(delay=delay, operation="reconcile")
    check(state)
    state.killed_mid_write(delay=delay, operation="submit")
    check(state)
    assert LedgerMachine.kills_left == 0
    assert state.world.query("select sum(amount) from postings")[0][0] == 350000
