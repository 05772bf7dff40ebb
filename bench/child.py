"""One benchmark step in a process of its own: `python -m bench.child STEP ARGS_JSON`.

A fresh process per step makes its peak memory (the process's RSS high-water mark) the step's
own, and keeps one step's caches and garbage out of the next step's time. The step prints one
JSON line: the seconds of each timed part, the peak RSS in bytes and what it found (counts).
Timing starts after the imports, so interpreter start-up is not counted.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from bench import floors
from ledger.services.contracts import active_spec, load_spec_file
from ledger.services.enrolment import import_participants
from ledger.services.evidence import import_evidence
from ledger.services.verification import import_decisions
from ledger.storage.db import ensure_schema, make_engine, unit_of_work
from ledger.storage.tokens import create_token
from reconciliation.runs import reconcile
from reporting.commissioner import commissioner_report
from reporting.write_xlsx import write_xlsx

Args = dict[str, Any]
Found = dict[str, Any]


class Clock:
    """Seconds per named part of a step."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def part(self, name: str) -> Iterator[None]:
        began = time.perf_counter()
        yield
        self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - began


def _moment(args: Args, key: str) -> datetime:
    return datetime.fromisoformat(args[key]).replace(tzinfo=UTC)


def _engine(args: Args) -> Engine:
    return make_engine(args["database_url"])


def setup(args: Args, clock: Clock) -> Found:
    """Migrate the empty database, register the spec, make a provider's token (untimed)."""
    engine = _engine(args)
    ensure_schema(engine)
    now = _moment(args, "loaded_at")
    with unit_of_work(engine) as session:
        contract = load_spec_file(session, Path(args["spec"]), actor="bench", now=now).contract_id
        token = create_token(
            session, "provider", args["provider"], contract, actor="bench", now=now
        )
    return {"contract_id": contract, "token": token.secret}


def _import(args: Args, clock: Clock, what: Callable[[Session, str, Path], object]) -> Found:
    engine = _engine(args)
    with clock.part("total"), unit_of_work(engine) as session:
        summary = what(session, args["contract_id"], Path(args["file"]))
    return {"summary": str(summary)}


def participants(args: Args, clock: Clock) -> Found:
    """Enrol the generated participants (the product's import, all checks)."""
    now = _moment(args, "imported_at")
    return _import(
        args,
        clock,
        lambda s, c, p: import_participants(s, c, active_spec(s, c), p, actor="provider", now=now),
    )


def evidence(args: Args, clock: Clock) -> Found:
    """Import the generated evidence (the product's import, all checks)."""
    now = _moment(args, "imported_at")
    return _import(
        args,
        clock,
        lambda s, c, p: import_evidence(s, c, active_spec(s, c), p, actor="provider", now=now),
    )


def decisions(args: Args, clock: Clock) -> Found:
    """Import the verifier's decisions (verified/rejected), then the revocations."""
    found: Found = {}
    for file, moment in (("file", "decided_at"), ("revocations", "revoked_at")):
        at = _moment(args, moment)

        def decide(session: Session, contract: str, path: Path, at: datetime = at) -> object:
            return import_decisions(session, contract, path, actor="verifier", now=at)

        found[file] = _import({**args, "file": args[file]}, clock, decide)["summary"]
    return found


def reconcile_period(args: Args, clock: Clock) -> Found:
    """Reconcile one period as of a cut-off (a first run, or a re-run with nothing changed)."""
    engine = _engine(args)
    as_of = _moment(args, "as_of")
    with clock.part("total"):
        report = reconcile(
            engine, args["contract_id"], args["period"], as_of, actor="bench", now=as_of
        )
    return {"postings": report.postings, "claims": len(report.claims)}


def report(args: Args, clock: Clock) -> Found:
    """The commissioner's payment report as xlsx: building its frames, then writing it."""
    engine = _engine(args)
    with clock.part("build"), unit_of_work(engine) as session:
        built = commissioner_report(session, args["contract_id"], args["period"], args["payer"])
    with clock.part("write"):
        write_xlsx(built, Path(args["out"]))
    lines = len(built.table("lines").frame)
    cells = sum(len(t.frame) * len(t.columns) for t in built.tables)
    return {"lines": lines, "cells": cells, "bytes": Path(args["out"]).stat().st_size}


def report_floor(args: Args, clock: Clock) -> Found:
    """The same cells written by openpyxl's write-only mode alone (the report built untimed)."""
    engine = _engine(args)
    with unit_of_work(engine) as session:
        built = commissioner_report(session, args["contract_id"], args["period"], args["payer"])
    sheets = floors.report_cells(built)
    del built
    with clock.part("write"):
        floors.write_cells(sheets, Path(args["out"]))
    return {"bytes": Path(args["out"]).stat().st_size}


def evidence_floor(args: Args, clock: Clock) -> Found:
    """pandas reads the evidence csv; bare sqlite3 inserts the same rows (same table DDL)."""
    with clock.part("total"):
        rows = floors.insert_csv_rows(Path(args["file"]), Path(args["database"]))
    return {"rows": rows}


STEPS: dict[str, Callable[[Args, Clock], Found]] = {
    "setup": setup,
    "participants": participants,
    "evidence": evidence,
    "decisions": decisions,
    "reconcile": reconcile_period,
    "report": report,
    "report_floor": report_floor,
    "evidence_floor": evidence_floor,
}


def peak_rss_bytes() -> int:
    """This process's resident-set high-water mark (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def main(argv: list[str]) -> int:
    """Run STEP with its JSON arguments and print the result as one JSON line."""
    step, raw = argv
    clock = Clock()
    found = STEPS[step](json.loads(raw), clock)
    result = {"seconds": clock.seconds, "peak_rss": peak_rss_bytes(), "found": found}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
