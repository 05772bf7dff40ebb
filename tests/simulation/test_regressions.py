"""Histories the simulator found or that matter enough to replay by name, each as steps.

Each test is a history as hypothesis prints it: the machine's steps in order, the invariants
checked after each one as the simulator would.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from tests.conftest import small_spec
from tests.simulation import test_simulator
from tests.simulation.machine import LedgerMachine


@pytest.fixture
def state() -> Iterator[LedgerMachine]:
    LedgerMachine.database = staticmethod(test_simulator._sqlite)
    LedgerMachine.spec = small_spec()
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


def test_a_decision_after_a_run_waits_for_the_next_run(state: LedgerMachine) -> None:
    """Found while building the simulator: evidence verified right after a quarter's run is
    not in that run (its cut-off came first), and the next run pays it."""
    state.enrol_the_first(starts=[0])
    state.submit(
        fresh=True, kind="payslip", lag=0, metric="job_entry", muddle=False, pick=0,
        quantity=Decimal("0"), stranger=False,
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
    state.enrol_the_first(starts=[3])
    state.submit(
        fresh=True, kind="payslip", lag=2, metric="job_entry", muddle=False, pick=0,
        quantity=Decimal("0"), stranger=False,
    )  # fmt: skip
    state.verify_everything_submitted()
    state.quarter_end(close=True, days=3)
    check(state)
    state.decide(pick=0, decision="revoked", reason="employer says no")
    state.quarter_end(close=False, days=3)
    check(state)
    assert state.world.query("select sum(amount) from postings")[0][0] == 0
