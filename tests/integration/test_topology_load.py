"""`outcomes serve --workers 2` on PostgreSQL under many clients at once, on loopback only.

Providers upload evidence (some batches sent twice, as a client retrying would) while others
read progress and postings, for a bounded time and a bounded number of requests. Afterwards:
no answer was a server error, and every fact accepted is stored exactly once.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select

from ledger.services.contracts import active_spec, load_spec_file
from ledger.services.enrolment import import_participants
from ledger.storage.audit import verify_chain
from ledger.storage.db import unit_of_work
from ledger.storage.tables import Evidence, table_of
from ledger.storage.tokens import create_token

pytestmark = pytest.mark.slow

SPEC = Path(__file__).parents[1] / "fixtures" / "specs" / "job_outcomes.yaml"
CONTRACT = "test-jobs"
NOW = datetime(2016, 1, 4, tzinfo=UTC)
CLIENTS, ROUNDS, SECONDS = 8, 25, 20.0  # a request hanging past 30 s is a failure


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _world(engine: Engine, folder: Path) -> tuple[str, str]:
    """The fixture contract with 20 people enrolled; a provider's and an investor's token."""
    people = folder / "people.csv"
    people.write_text(
        "participant_id,cohort,provider,start_date,date_of_birth\n"
        + "".join(f"P{i:02},cohort-1,provider-a,2015-02-01,1995-06-01\n" for i in range(20))
    )
    with unit_of_work(engine) as session:
        load_spec_file(session, SPEC, actor="ops", now=NOW)
    with unit_of_work(engine) as session:
        active = active_spec(session, CONTRACT)
        import_participants(session, CONTRACT, active, people, actor="ops", now=NOW)
        provider = create_token(session, "provider", "provider-a", CONTRACT, actor="ops", now=NOW)
        payer = create_token(session, "commissioner", "council", CONTRACT, actor="ops", now=NOW)
    return provider.secret, payer.secret


def _serve(db_url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "OUTCOMES_DATABASE_URL": db_url}
    outcomes = Path(sys.executable).with_name("outcomes")
    server = subprocess.Popen(
        [str(outcomes), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.3)
    server.terminate()
    raise AssertionError(f"the server did not come up: {log.read_text()[-2000:]}")


def _children(pid: int) -> list[int]:
    """The uvicorn workers of the server process (Linux /proc; none found elsewhere)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


class Clients:
    """Many clients at once; what they sent and what came back."""

    def __init__(self, base: str, provider: str, payer: str) -> None:
        self.base, self.provider, self.payer = base, provider, payer
        self.statuses: Counter[int] = Counter()
        self.stored_new = 0
        self.sent_ids: set[str] = set()
        self.lock = threading.Lock()
        self.failures: list[str] = []
        self.stop_at = time.monotonic() + SECONDS

    def run(self, client_no: int) -> None:
        upload = {"Authorization": f"Bearer {self.provider}"}
        read = {"Authorization": f"Bearer {self.payer}"}
        with httpx.Client(base_url=self.base, timeout=30) as http:
            for round_no in range(ROUNDS):
                if time.monotonic() > self.stop_at:
                    return
                rows = [
                    {
                        "evidence_id": f"E-{client_no}-{round_no}-{k}",
                        "participant_id": f"P{(client_no * 3 + round_no + k) % 20:02}",
                        "metric": "job_entry",
                        "achieved_on": "2015-03-02",
                        "evidence_type": "payslip",
                    }
                    for k in range(2)
                ]
                url = f"/api/contracts/{CONTRACT}/evidence"
                answers = [http.post(url, json={"rows": rows}, headers=upload)]
                if round_no % 5 == 0:  # a retry of the same batch: found unchanged
                    answers.append(http.post(url, json={"rows": rows}, headers=upload))
                answers.append(
                    http.get(
                        f"/api/contracts/{CONTRACT}/progress",
                        params={"period": "2015-Q4"},
                        headers=upload,  # a provider follows its own people's progress
                    )
                )
                answers.append(http.get(f"/api/contracts/{CONTRACT}/postings", headers=read))
                self._note(answers, rows)

    def run_safely(self, client_no: int) -> None:
        """`run`, with a request that failed or hung counted as an error (and that client
        stopped) instead of a thread dying silently."""
        try:
            self.run(client_no)
        except httpx.HTTPError as failed:
            with self.lock:
                self.failures.append(f"client {client_no}: {type(failed).__name__}")

    def _note(self, answers: list[httpx.Response], rows: list[dict[str, Any]]) -> None:
        with self.lock:
            for answer in answers:
                self.statuses[answer.status_code] += 1
                if answer.request.method == "POST" and answer.status_code in (200, 201):
                    self.stored_new += int(answer.json()["new"])
            if answers[0].status_code in (200, 201):
                self.sent_ids.update(r["evidence_id"] for r in rows)


def test_two_workers_under_many_clients_answer_without_errors_and_lose_nothing(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the scaled-out topology runs on PostgreSQL")
    provider, payer = _world(engine, tmp_path)
    port = _free_port()
    server = _serve(db_url, port, tmp_path / "server.log")
    try:
        clients = Clients(f"http://127.0.0.1:{port}", provider, payer)
        threads = [threading.Thread(target=clients.run_safely, args=(n,)) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=SECONDS + 60)
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:  # hung workers keep transactions (and locks) open
            workers = _children(server.pid)
            server.kill()
            server.wait(timeout=15)
            for worker in workers:
                os.kill(worker, signal.SIGKILL)

    assert clients.failures == [], (tmp_path / "server.log").read_text()[-3000:]
    errors = {s: n for s, n in clients.statuses.items() if s >= 500}
    assert errors == {}, (tmp_path / "server.log").read_text()[-3000:]
    assert set(clients.statuses) <= {200, 201}, clients.statuses
    assert sum(clients.statuses.values()) > CLIENTS * 4  # the load really happened
    with engine.connect() as connection:
        evidence = table_of(Evidence)
        stored = set(connection.scalars(select(evidence.c.evidence_id)))
        count = connection.scalar(select(func.count()).select_from(evidence))
        chain = verify_chain(connection)
    # nothing lost: every id sent, in the provider's namespace
    assert stored == {f"provider-a/{sent}" for sent in clients.sent_ids}
    assert count == len(stored) == clients.stored_new  # nothing doubled, retries stored nothing
    assert chain.intact
