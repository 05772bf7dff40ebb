"""Cohort-level results from evaluators (SEMANTICS.md 4), imported from a file, all or nothing.

A result is for one cohort metric and one of its cohorts ("pool" for a pooled metric). Results
are versioned like evidence: the current result of a metric and cohort is the latest one
submitted; a correction may name the result it replaces in `supersedes`, which must then be a
result of the same metric and cohort.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlmodel import Session

from contract_specs.model import ContractSpec
from ledger.domain.entitlement.types import RESULT_COLUMNS
from ledger.domain.errors import RejectedUpload
from ledger.intake.reading import Source
from ledger.intake.row_checks import (
    ROW,
    RowChecks,
    canonical_json,
    flag_whole_numbers,
    is_decimal,
    open_checks,
)
from ledger.services.checked_import import (
    CheckedImport,
    Insert,
    Store,
    contract_import,
    in_one_session,
)
from ledger.services.contracts import ActiveSpec, active_spec, require_contract
from ledger.services.ids import check_local
from ledger.storage.tables import CohortResult, table_of
from ledger.storage.uploads import ImportSummary, columns_of

POOL = "pool"
COLUMNS = tuple(c for c in RESULT_COLUMNS if c != "reference")
OPTIONAL = ("reference", "supersedes")
FIELDS = (
    "metric",
    "cohort",
    "observed",
    "comparison",
    "units",
    "evaluated_on",
    "reference",
    "supersedes",
)


def import_results(
    session: Session,
    contract_id: str,
    active: ActiveSpec,
    path: Source,
    *,
    actor: str,
    now: datetime,
) -> ImportSummary:
    """Store every result in `path`, or none (RejectedUpload)."""
    job = results_import(contract_id, path, actor=actor, now=now, active=active)
    return in_one_session(session, job)


def results_import(
    contract_id: str,
    path: Source,
    *,
    actor: str,
    now: datetime,
    active: ActiveSpec | None = None,
) -> CheckedImport:
    """The results import of `path` (see import_results), to check before the write lock and
    store under it (services.checked_import); `active`: the spec to check against (by default
    the one in force when it is checked). One import of a contract's results is stored at a
    time, across processes: the second sees what the first stored (unchanged rows, the
    results a correction may supersede), never a stale view."""
    return contract_import(
        f"results:{contract_id}",
        contract_id,
        (CohortResult,),
        lambda session: _check(session, contract_id, active, path, actor, now),
    )


def _check(
    session: Session,
    contract_id: str,
    active: ActiveSpec | None,
    path: Source,
    actor: str,
    now: datetime,
) -> Store:
    """Check the file against the spec (`active`, or the one in force) and what is stored."""
    require_contract(session, contract_id)
    spec = (active or active_spec(session, contract_id)).spec
    checks = open_checks(path, COLUMNS, OPTIONAL)
    frame = checks.frame
    stored = _stored(session, contract_id)
    records = check_rows(checks, spec, stored)
    canonical = pd.Series(canonical_json(records), index=frame.index, dtype="str")
    exists = checks.against_stored(
        "result_id", canonical, {k: v[0] for k, v in stored.items()}, "submitted"
    )
    if checks.errors:
        raise RejectedUpload(checks.errors)
    rows = [
        {
            **record,
            "evaluated_on": date.fromisoformat(record["evaluated_on"]),
            "supersedes": record["supersedes"] or None,
            "contract_id": contract_id,
            "submitted_at": now,
            "submitted_by": actor,
            "source": f"{checks.file}:{row}",
        }
        for record, row, old in zip(records, frame[ROW], exists, strict=True)
        if not old
    ]
    unchanged = len(frame) - len(rows)

    return Insert(
        CohortResult, columns_of(rows), len(rows), unchanged,
        "results.import", contract_id, checks.file, actor, now,
    )  # fmt: skip


def check_rows(
    checks: RowChecks, spec: ContractSpec, stored: dict[str, tuple[str, str]]
) -> list[dict[str, Any]]:
    """Check each result row; returns the rows as they would be stored."""
    f = checks.frame
    checks.require(COLUMNS)
    checks.unique("result_id")
    check_local(checks, "result_id")
    if "supersedes" in f:
        check_local(checks, "supersedes")
    evaluated = checks.date("evaluated_on")
    metrics = {m.id: m for m in spec.cohort_metrics}
    known = f["metric"].isin(metrics)
    checks.flag(
        ~known & (f["metric"] != ""),
        "metric",
        "is not a cohort-level metric of this contract: use one of " + ", ".join(sorted(metrics)),
    )
    allowed = f["metric"].map(
        lambda m: (
            (POOL,)
            if m in metrics and metrics[m].pooled
            else metrics[m].cohorts
            if m in metrics
            else ()
        )
    )
    cohort_ok = pd.Series(
        [c in a for c, a in zip(f["cohort"], allowed, strict=True)], index=f.index
    )
    checks.flag(
        known & ~cohort_ok & (f["cohort"] != ""),
        "cohort",
        "is not measured by this metric: use one of " + allowed.map(", ".join),
    )
    for column in ("observed", "comparison"):
        checks.flag(
            (f[column] != "") & ~is_decimal(f[column]),
            column,
            "is not a decimal number (like 1.42)",
        )
    units_ok = flag_whole_numbers(checks, "units", f["units"])
    # what a superseded id must match: stored results, or ones earlier in this file
    targets = {rid: key for rid, (_, key) in stored.items()}
    targets.update(
        {
            rid: f"{m}/{c}"
            for rid, m, c in zip(f["result_id"], f["metric"], f["cohort"], strict=True)
        }
    )
    target = f["supersedes"].map(targets)
    checks.flag(
        (f["supersedes"] != "") & target.isna(),
        "supersedes",
        "is not a result of this contract",
    )
    checks.flag(
        (f["supersedes"] != "") & target.notna() & (target != f["metric"] + "/" + f["cohort"]),
        "supersedes",
        "is a result of another metric or cohort: a correction replaces its own metric and cohort",
    )
    return [
        {
            "result_id": rid,
            "metric": metric,
            "cohort": cohort,
            "observed": observed,
            "comparison": comparison,
            "units": int(units) if ok else None,
            "evaluated_on": None if pd.isna(day) else day.date().isoformat(),
            "reference": reference,
            "supersedes": supersedes,
        }
        for rid, metric, cohort, observed, comparison, units, ok, day, reference, supersedes in zip(
            f["result_id"],
            f["metric"],
            f["cohort"],
            f["observed"],
            f["comparison"],
            f["units"],
            units_ok,
            evaluated,
            f["reference"],
            f["supersedes"],
            strict=True,
        )
    ]


def _stored(session: Session, contract_id: str) -> dict[str, tuple[str, str]]:
    """result_id -> (canonical JSON of the stored row, "metric/cohort")."""
    table = table_of(CohortResult)
    columns = [table.c.result_id, *(table.c[name] for name in FIELDS)]
    rows = session.connection().execute(select(*columns).where(table.c.contract_id == contract_id))
    records = [
        dict(zip(("result_id", *FIELDS), row, strict=True))
        | {"evaluated_on": row.evaluated_on.isoformat(), "supersedes": row.supersedes or ""}
        for row in rows
    ]
    return {
        r["result_id"]: (text, f"{r['metric']}/{r['cohort']}")
        for r, text in zip(records, canonical_json(records), strict=True)
    }
