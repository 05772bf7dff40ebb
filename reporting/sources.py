"""Reading what a report needs from the ledger, as plain frames (column-wise SQL, no ORM rows).

Everything is read as of a cut-off. A provider's frames are filtered in the query itself, so a
provider report never holds another provider's participants, evidence or postings.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlmodel import Session

from contract_specs.model import ConsentUse, ContractSpec
from ledger.services.consents import stored_consents
from ledger.services.facts import (
    dates,
    fetch_columns,
    fetch_frame,
    latest_decision_number,
    status_words,
)
from ledger.storage.run_records import NOT_PAYABLE_COLUMNS
from ledger.storage.sealed import opened_attributes
from ledger.storage.tables import (
    CohortResult,
    Evidence,
    Participant,
    Posting,
    RunNotPayable,
    Withdrawal,
    table_of,
)
from reconciliation.tables import ClaimRow, ReconcileRun

POSTING_COLUMNS = (
    "posting_id",
    "spec_version",
    "period",
    "participant_id",
    "metric",
    "occurrence",
    "payer",
    "amount",
    "kind",
    "reason",
    "achieved_on",
    "evidence_ids",
    "corrects_period",
    "posted_at",
    # what the engine decided for the line (None on postings made before postings kept it)
    "tariff",
    "cohort",
    "provider",
    "cut_by",
    "cut_amount",
)
PARTICIPANT_COLUMNS = ("participant_id", "cohort", "provider", "start_date", "attributes")
EVIDENCE_COLUMNS = (
    "evidence_id",
    "participant_id",
    "metric",
    "achieved_on",
    "submitted_at",
    "status",
    "reference",
)


def last_posted(session: Session, contract_id: str, period: str) -> datetime | None:
    """When the latest posting into `period` was made (the run a payment report shows)."""
    table = table_of(Posting)
    found = session.connection().execute(
        select(func.max(table.c.posted_at)).where(
            table.c.contract_id == contract_id, table.c.period == period
        )
    )
    value = found.scalar()
    return value if isinstance(value, datetime) else None


@dataclass(frozen=True)
class ClaimRun:
    """The run a period's claim came from (its latest run): the record a report reads."""

    run_id: str
    spec_version: int
    cut_off: datetime
    finished_at: datetime
    # the run that computed what this one settled (itself, or the run it reused)
    computed_by: str
    # how many not-payable rows the computing run kept (None: a run from before runs kept them)
    not_payable: int | None


def claim_run(session: Session, contract_id: str, period: str) -> ClaimRun | None:
    """The latest run of `period` (the run its claim came from), or None when the period was
    never reconciled (issue 18: the run is the record)."""
    runs = table_of(ReconcileRun)
    found = (
        session.connection()
        .execute(
            select(
                runs.c.run_id,
                runs.c.spec_version,
                runs.c.cut_off,
                runs.c.finished_at,
                runs.c.reused_run_id,
            )
            .where(runs.c.contract_id == contract_id, runs.c.period == period)
            .order_by(runs.c.finished_at.desc(), runs.c.id.desc())
            .limit(1)
        )
        .first()
    )
    if found is None:
        return None
    computed_by = str(found.reused_run_id or found.run_id)
    kept = session.connection().execute(
        select(runs.c.not_payable).where(runs.c.run_id == computed_by)
    )
    count = kept.scalar()
    return ClaimRun(
        str(found.run_id),
        int(found.spec_version),
        found.cut_off,
        found.finished_at,
        computed_by,
        None if count is None else int(count),
    )


def run_postings(session: Session, contract_id: str, run: ClaimRun) -> pd.DataFrame:
    """The postings the ledger held when `run` finished: those of every run of the contract
    finished by then (and any posted before its cut-off), whatever was posted since."""
    runs = table_of(ReconcileRun)
    table = table_of(Posting)
    earlier = select(runs.c.run_id).where(
        runs.c.contract_id == contract_id, runs.c.finished_at <= run.finished_at
    )
    query = select(*(table.c[name] for name in POSTING_COLUMNS)).where(
        table.c.contract_id == contract_id,
        or_(table.c.run_id.in_(earlier), table.c.posted_at <= run.cut_off),
    )
    return _postings_frame(session, query)


def run_not_payable(session: Session, run_id: str) -> pd.DataFrame:
    """The not-payable rows run `run_id` kept (ledger.storage.run_records)."""
    table = table_of(RunNotPayable)
    query = (
        select(*(table.c[name] for name in NOT_PAYABLE_COLUMNS))
        .where(table.c.run_id == run_id)
        .order_by(table.c.id)
    )
    frame = fetch_frame(session, query, list(NOT_PAYABLE_COLUMNS), typed=("achieved_on",))
    frame["achieved_on"] = pd.to_datetime(frame["achieved_on"])
    return frame


def claims_of(session: Session, contract_id: str, period: str, payer: str) -> list[str]:
    """The payer's claims for `period`, each as "<reference>, issued <day>, due <day>"."""
    claims = table_of(ClaimRow)
    found = session.connection().execute(
        select(claims.c.reference, claims.c.claimed_on, claims.c.due_on)
        .where(
            claims.c.contract_id == contract_id,
            claims.c.period == period,
            claims.c.payer == payer,
        )
        .order_by(claims.c.number)
    )
    return [f"{ref}, issued {issued}, due {due}" for ref, issued, due in found]


def _of_provider(
    column: ColumnElement[str], contract_id: str, provider: str
) -> ColumnElement[bool]:
    """`column` (a participant id) names one of `provider`'s participants."""
    people = table_of(Participant)
    return column.in_(
        select(people.c.participant_id).where(
            people.c.contract_id == contract_id, people.c.provider == provider
        )
    )


def postings(
    session: Session, contract_id: str, cut_off: datetime, provider: str | None = None
) -> pd.DataFrame:
    """Postings made at or before `cut_off` (a provider's own participants only, if given)."""
    table = table_of(Posting)
    query = select(*(table.c[name] for name in POSTING_COLUMNS)).where(
        table.c.contract_id == contract_id, table.c.posted_at <= cut_off
    )
    if provider is not None:
        query = query.where(_of_provider(table.c.participant_id, contract_id, provider))
    return _postings_frame(session, query)


def _postings_frame(session: Session, query: Select[Any]) -> pd.DataFrame:
    table = table_of(Posting)
    frame = fetch_frame(
        session,
        query.order_by(table.c.posted_at, table.c.id),
        list(POSTING_COLUMNS),
        typed=("achieved_on", "posted_at"),
    )
    frame = frame.astype({"amount": "int64", "occurrence": "int64", "spec_version": "int64"})
    for name in ("tariff", "cut_amount"):
        frame[name] = pd.array(frame[name].tolist(), dtype="Int64")
    return frame


def participants(
    session: Session,
    contract_id: str,
    cut_off: datetime,
    provider: str | None = None,
    spec: ContractSpec | None = None,
    *,
    attributes: bool = True,
) -> pd.DataFrame:
    """Participants enrolled at or before `cut_off`: `attributes` their declared attributes
    (opened from their seals; erased, so empty, for a withdrawn person; left sealed, so empty,
    when `attributes` is False: a report that shows none need not decrypt a million seals),
    `withdrawn` whether they had withdrawn by then, and `in_segments` whether they may be
    counted in analysis by group: not withdrawn, and given every consent of `spec` that allows
    segment analysis."""
    table = table_of(Participant)
    query = select(*(table.c[name] for name in PARTICIPANT_COLUMNS)).where(
        table.c.contract_id == contract_id, table.c.enrolled_at <= cut_off
    )
    if provider is not None:
        query = query.where(table.c.provider == provider)
    frame = fetch_frame(
        session,
        query.order_by(table.c.participant_id),
        list(PARTICIPANT_COLUMNS),
        typed=("attributes",),
    )
    frame["start_date"] = dates(list(frame["start_date"]))
    ids = [str(p) for p in frame["participant_id"]]
    connection = session.connection()
    opened = opened_attributes(connection, contract_id, ids) if attributes else {}
    frame["attributes"] = pd.Series([opened.get(p, {}) for p in ids], dtype="object")
    gone = withdrawn_by(session, contract_id, cut_off)
    frame["withdrawn"] = pd.Series([p in gone for p in ids], dtype="bool")
    needed = [c.name for c in spec.consents_allowing(ConsentUse.SEGMENT_ANALYSIS)] if spec else []
    given = stored_consents(connection, contract_id, ids) if needed else {}
    frame["in_segments"] = pd.Series(
        [p not in gone and all(given.get(p, {}).get(n) is True for n in needed) for p in ids],
        dtype="bool",
    )
    return frame


def withdrawn_by(session: Session, contract_id: str, cut_off: datetime) -> set[str]:
    """The participants whose withdrawal was recorded at or before `cut_off`."""
    table = table_of(Withdrawal)
    return set(
        session.connection()
        .execute(
            select(table.c.participant_id).where(
                table.c.contract_id == contract_id, table.c.recorded_at <= cut_off
            )
        )
        .scalars()
    )


def evidence(
    session: Session,
    contract_id: str,
    cut_off: datetime,
    spec: ContractSpec,
    provider: str | None = None,
) -> pd.DataFrame:
    """Evidence submitted at or before `cut_off` with its status then (as services.facts says:
    the latest decision, else verified for automatic metrics and pending for the rest)."""
    table = table_of(Evidence)
    where = (table.c.contract_id == contract_id) & (table.c.submitted_at <= cut_off)
    if provider is not None:
        where &= _of_provider(table.c.participant_id, contract_id, provider)
    fetched = fetch_columns(
        session,
        select(
            *(table.c[c] for c in EVIDENCE_COLUMNS if c != "status"),
            latest_decision_number(table, cut_off),
        )
        .where(where)
        .order_by(table.c.evidence_id),
    )
    ids, people, metrics, achieved, submitted, references, decisions = fetched
    return pd.DataFrame(
        {
            "evidence_id": pd.Series(ids, dtype="object"),
            "participant_id": pd.Series(people, dtype="object"),
            "metric": pd.Series(metrics, dtype="object"),
            "achieved_on": dates(achieved),
            "submitted_at": pd.to_datetime(pd.Series(submitted, dtype="object"), utc=True),
            "status": pd.Series(
                status_words(
                    pd.array(decisions, dtype="Int64").fillna(-1).to_numpy(), metrics, spec
                ),
                dtype="object",
            ),
            "reference": pd.Series(references, dtype="object"),
        },
        columns=list(EVIDENCE_COLUMNS),
    )


def _numbers(decisions: list[Any]) -> Any:
    """Decision numbers with -1 where there is none."""
    return pd.array(decisions, dtype="Int64").fillna(-1).to_numpy(dtype="int64")


IN_CHUNK = 5_000  # ids per IN (...) list: well under every database's parameter limit


def references(session: Session, contract_id: str, ids: Iterable[str]) -> dict[str, str]:
    """Evidence id (or cohort result id) -> the reference its submitter gave."""
    found: dict[str, str] = {}
    for model, key in ((Evidence, "evidence_id"), (CohortResult, "result_id")):
        table = table_of(model)
        for keys, texts in _by_ids(session, table.c[key], table.c.reference, contract_id, ids):
            found.update({k: r for k, r in zip(keys, texts, strict=True) if r})
    return found


def submitted_at(session: Session, contract_id: str, ids: Iterable[str]) -> dict[str, datetime]:
    """Evidence id -> when it was submitted, for the given ids only."""
    table = table_of(Evidence)
    found: dict[str, datetime] = {}
    for keys, times in _by_ids(
        session, table.c.evidence_id, table.c.submitted_at, contract_id, ids
    ):
        found.update(zip(keys, times, strict=True))
    return found


def submitting_in(
    session: Session, contract_id: str, start: date, end: date, cut_off: datetime
) -> set[str]:
    """The participants with evidence submitted on a day from `start` to `end` (UTC), by the
    cut-off: read through the (contract_id, submitted_at) index."""
    table = table_of(Evidence)
    after_end = datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC)
    first = datetime.combine(start, time.min, tzinfo=UTC)
    query = (
        select(table.c.participant_id)
        .where(
            table.c.contract_id == contract_id,
            table.c.submitted_at >= first,
            table.c.submitted_at < min(after_end, cut_off + timedelta(microseconds=1)),
        )
        .distinct()
    )
    return {str(p) for p in fetch_columns(session, query)[0]}


def _by_ids(
    session: Session,
    key: ColumnElement[str],
    value: ColumnElement[Any],
    contract_id: str,
    ids: Iterable[str],
) -> Iterator[list[list[Any]]]:
    """(keys, values) of the rows whose `key` is one of `ids`, read a chunk of ids at a time
    through the contract's unique index: a report needs the few its lines name, not millions."""
    wanted = sorted(set(ids))
    table = key.table
    for start in range(0, len(wanted), IN_CHUNK):
        chunk = wanted[start : start + IN_CHUNK]
        query = select(key, value).where(table.c.contract_id == contract_id, key.in_(chunk))
        yield fetch_columns(session, query, typed=(value.name,))
