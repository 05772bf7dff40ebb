"""Load on one HTTP route: N concurrent clients over loopback, a bounded number of requests.

Each client is a thread with its own keep-alive connection to 127.0.0.1 (never another host);
it sends requests until the shared request budget or the time limit runs out. Latency is the
time from sending a request to having read the whole answer.
"""

from __future__ import annotations

import http.client
import statistics
import threading
import time
from dataclasses import dataclass

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class LoadResult:
    """Requests answered, failures, wall seconds and latencies (seconds, sorted)."""

    requests: int
    failures: int
    seconds: float
    latencies: tuple[float, ...]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def quantile(self, q: float) -> float:
        """The q-quantile of the latencies (nearest rank); 0 when there are none."""
        if not self.latencies:
            return 0.0
        rank = min(len(self.latencies) - 1, max(0, round(q * len(self.latencies)) - 1))
        return self.latencies[rank]

    @property
    def median(self) -> float:
        return statistics.median(self.latencies) if self.latencies else 0.0


def get_once(port: int, path: str, token: str, timeout: float = 600.0) -> tuple[int, float]:
    """One GET on a fresh connection: its status and latency."""
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=timeout)
    try:
        began = time.perf_counter()
        connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        answer = connection.getresponse()
        answer.read()
        return answer.status, time.perf_counter() - began
    finally:
        connection.close()


def run_load(
    port: int, path: str, token: str, clients: int, max_requests: int, max_seconds: float
) -> LoadResult:
    """`clients` threads GET `path` until `max_requests` are sent or `max_seconds` pass."""
    lock = threading.Lock()
    budget = [max_requests]
    latencies: list[float] = []
    failures = [0]
    deadline = time.perf_counter() + max_seconds

    def client() -> None:
        connection = http.client.HTTPConnection(LOOPBACK, port, timeout=max_seconds + 60)
        headers = {"Authorization": f"Bearer {token}"}
        try:
            while time.perf_counter() < deadline:
                with lock:
                    if budget[0] <= 0:
                        return
                    budget[0] -= 1
                began = time.perf_counter()
                try:
                    connection.request("GET", path, headers=headers)
                    answer = connection.getresponse()
                    answer.read()
                    ok = answer.status == 200
                except (OSError, http.client.HTTPException):
                    ok = False
                    connection.close()
                    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=max_seconds)
                spent = time.perf_counter() - began
                with lock:
                    if ok:
                        latencies.append(spent)
                    else:
                        failures[0] += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    spent = time.perf_counter() - began
    return LoadResult(len(latencies), failures[0], spent, tuple(sorted(latencies)))
