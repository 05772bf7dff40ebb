"""A step killed mid-write: the step runs in a process of its own and is sent SIGKILL.

`kill_during` starts this module as a process that opens the database, says it is ready, and
runs one operation (a reconcile run or an evidence import) through the same service functions
the CLI calls; `delay` milliseconds after it said so, the parent kills it (no clean-up, no
rollback from the process itself: what is left is what the database made of it).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).parents[2]


def kill_during(
    url: str, contract_id: str, operation: str, argument: str, now: datetime, delay: int
) -> None:
    """Run `operation` in a child process and SIGKILL it `delay` ms after it is ready (it may
    have finished by then: a kill after the commit is a case too)."""
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.simulation.faults",
            url,
            contract_id,
            operation,
            argument,
            now.isoformat(),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert child.stdout is not None
    ready = child.stdout.readline()
    assert ready.strip() == "ready", f"the step's process did not start: {ready!r}"
    time.sleep(delay / 1000)
    if child.poll() is None:
        os.kill(child.pid, signal.SIGKILL)
    child.wait()
    child.stdout.close()


def _main(url: str, contract_id: str, operation: str, argument: str, now_text: str) -> None:
    from ledger.services.contracts import active_spec
    from ledger.services.evidence import import_evidence
    from ledger.storage.db import make_engine, unit_of_work
    from reconciliation.runs import reconcile

    engine = make_engine(url)
    now = datetime.fromisoformat(now_text)
    with engine.connect():
        pass  # connected before the clock starts: the kill lands in the write, not the start
    print("ready", flush=True)
    if operation == "reconcile":
        reconcile(
            engine, contract_id, argument, now, False, actor="sim", now=now, clock=lambda: now
        )
    else:
        with unit_of_work(engine) as session:
            active = active_spec(session, contract_id)
            import_evidence(session, contract_id, active, Path(argument), actor="sim", now=now)


if __name__ == "__main__":
    _main(*sys.argv[1:6])
