"""What the ledger knew at a cut-off T, as the engine's input frames (entitlement/types.py).

Participants enrolled at or before T; evidence submitted at or before T, with the day it was
submitted and its status from the latest verification decision at or before T (pending when
there is none; evidence for a metric or measure verified `automatic` counts as verified from
submission unless a decision says otherwise); the current cohort results submitted at or before
T. Column-wise SQL into pandas: no ORM objects, so this scales to the number of participants a
contract can have.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import Select, case, func, select
from sqlmodel import Session

from contract_specs.model import AttributeType, ContractSpec, Results
from ledger.domain.entitlement.status import (
    DECISIONS,
    from_decision_numbers,
    is_automatic,
    standing,
    words,
)
from ledger.domain.entitlement.types import (
    EVIDENCE_COLUMNS,
    JUDGED_COLUMNS,
    PARTICIPANT_COLUMNS,
    RESULT_COLUMNS,
    Facts,
    no_judgements,
)
from ledger.services.contracts import active_spec
from ledger.services.verification_status import latest_decision
from ledger.storage.bulk import paused_gc
from ledger.storage.sealed import SLICE, opened_attributes
from ledger.storage.tables import CohortResult, Evidence, Participant, Withdrawal, table_of


def utc(moment: datetime) -> datetime:
    """An aware UTC datetime (a naive one is taken to be UTC already)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def load_facts(
    session: Session, contract_id: str, as_of: datetime, spec: ContractSpec | None = None
) -> Facts:
    """The facts of a contract as of `as_of`, typed by `spec` (default: the spec in force)."""
    as_of = utc(as_of)
    spec = spec or active_spec(session, contract_id).spec
    return Facts(
        judged=judged_frame(session, contract_id),
        participants=participants_frame(session, contract_id, as_of, spec),
        evidence=evidence_frame(session, contract_id, as_of, spec),
        results=results_frame(
            session,
            contract_id,
            as_of,
            {m.id for m in spec.cohort_metrics if m.results is Results.CUMULATIVE},
        ),
    )


def fetch_columns(
    session: Session, query: Select[Any], typed: Collection[str] = ()
) -> list[list[Any]]:
    """The rows of `query` as one list per selected column, straight from the driver.

    At millions of rows, building SQLAlchemy Row objects and running a result processor per
    value costs more than the database's own work. The driver's values need only what the
    frames do anyway: dates may come as ISO text (SQLite) or date objects (PostgreSQL), JSON as
    text or already decoded; `dates` and `json_values` take either. The columns named in
    `typed` go through their type's own result processor, as SQLAlchemy would return them."""
    connection = session.connection()
    result = connection.execute(query)
    selected = list(query.selected_columns)
    with paused_gc():
        rows = result.cursor.fetchall() if result.cursor is not None else []
        if not rows:
            return [[] for _ in selected]
        columns = [list(column) for column in zip(*rows, strict=True)]
        del rows
    description = result.cursor.description if result.cursor is not None else None
    for index, column in enumerate(selected):
        if getattr(column, "name", None) not in typed or description is None:
            continue
        process = column.type._cached_result_processor(connection.dialect, description[index][1])
        if process is not None:
            columns[index] = [process(value) for value in columns[index]]
    return columns


# Rows read from the driver at a time by fetch_arrays: a bounded number of Python objects alive
# at once, whatever the number of rows (a million participants' evidence is 4M rows x 7 cells).
CHUNK = 250_000
Convert = Callable[[list[Any]], pd.Series]


def text(values: list[Any]) -> pd.Series:
    """Text cells as a `str` column (Arrow-backed: one buffer, not one object per cell)."""
    return pd.Series(pd.array(pa.array(values, type=pa.large_string()), dtype="str"))


def counts(values: list[Any]) -> pd.Series:
    """Integer cells that may be missing, as nullable Int64."""
    return pd.Series(pd.array(values, dtype="Int64"))


def fetch_arrays(
    session: Session, query: Select[Any], convert: Sequence[Convert]
) -> list[pd.Series]:
    """The rows of `query` as one Series per selected column, each made by its `convert` from
    CHUNK rows at a time and then joined: the driver's Python values for a few hundred
    thousand rows exist at once, never for millions. Row order is kept (index 0..n-1)."""
    cursor = session.connection().execute(query).cursor
    parts: list[list[pd.Series]] = [[] for _ in convert]
    while cursor is not None:
        with paused_gc():
            rows = cursor.fetchmany(CHUNK)
            if not rows:
                break
            columns = list(zip(*rows, strict=True))
            del rows
        for index, make in enumerate(convert):
            parts[index].append(make(columns[index]))  # type: ignore[arg-type]
        del columns
    return [
        pd.concat(found, ignore_index=True) if found else make([])
        for found, make in zip(parts, convert, strict=True)
    ]


def fetch_frame(
    session: Session, query: Select[Any], names: list[str], typed: Collection[str] = ()
) -> pd.DataFrame:
    """The rows of `query` as a frame with columns `names` (object dtype; see fetch_columns)."""
    columns = zip(names, fetch_columns(session, query, typed), strict=True)
    return pd.DataFrame({name: pd.Series(values, dtype="object") for name, values in columns})


def dates(values: list[Any]) -> pd.Series:
    """Calendar dates as datetime64 (NaT for None), from ISO text (SQLite) or date objects
    (PostgreSQL): Arrow reads either in C, without a Python datetime per cell."""
    array = pa.array(values, from_pandas=True)
    if not pa.types.is_date32(array.type):
        array = array.cast(pa.large_string()).cast(pa.date32())
    days = array.to_numpy(zero_copy_only=False).astype("datetime64[D]")
    return pd.Series(days.astype("datetime64[us]"))


def json_values(values: list[Any]) -> list[Any]:
    """JSON documents as Python values, whether the driver decoded them or not."""
    return [json.loads(v) if isinstance(v, str) else v for v in values]


def participants_frame(
    session: Session,
    contract_id: str,
    as_of: datetime,
    spec: ContractSpec,
    *,
    with_attributes: bool | None = None,
    only: Collection[str] | None = None,
) -> pd.DataFrame:
    """Participants enrolled at or before `as_of`, one column per declared attribute, and the
    day each withdrew (`withdrawn_on`, a withdrawal recorded by `as_of`; NaT for the rest).

    The attributes are opened from their seals (ledger.storage.sealed), one person at a time,
    so only when asked (`with_attributes`), by default only when a metric's conditions need
    them; otherwise their columns are empty. A withdrawn person's are erased: always empty.
    `only`: just these participants."""
    table, withdrawals = table_of(Participant), table_of(Withdrawal)
    query = (
        select(
            table.c.participant_id,
            table.c.cohort,
            table.c.provider,
            table.c.start_date,
            withdrawals.c.withdrawn_on,
        )
        .outerjoin(
            withdrawals,
            (withdrawals.c.contract_id == table.c.contract_id)
            & (withdrawals.c.participant_id == table.c.participant_id)
            & (withdrawals.c.recorded_at <= as_of),
        )
        .where(table.c.contract_id == contract_id, table.c.enrolled_at <= as_of)
        .order_by(table.c.participant_id)
    )
    wanted = sorted(set(only)) if only is not None else None
    if wanted is not None and len(wanted) <= SLICE:
        # a few named people through the unique index; many are filtered below instead (a
        # database takes only so many parameters in one statement)
        query = query.where(table.c.participant_id.in_(wanted))
    ids, cohorts, providers, starts, withdrawn = fetch_arrays(
        session, query, [text, text, text, dates, dates]
    )
    frame = pd.DataFrame(
        {"participant_id": ids, "cohort": cohorts, "provider": providers, "start_date": starts}
    )
    if wanted is not None and len(wanted) > SLICE:
        keep = frame["participant_id"].isin(wanted)
        frame, withdrawn = (
            frame[keep].reset_index(drop=True),
            withdrawn[keep].reset_index(drop=True),
        )
    if with_attributes is None:
        with_attributes = any(m.conditions for m in spec.metrics)
    opened = (
        opened_attributes(session.connection(), contract_id, only)
        if with_attributes and spec.attributes
        else {}
    )
    people = frame["participant_id"].tolist() if opened else []
    for attribute in spec.attributes:
        values = [opened.get(p, {}).get(attribute.name) for p in people] or [None] * len(frame)
        frame[attribute.name] = _typed(pd.Series(values, dtype="object"), attribute.type)
    frame["withdrawn_on"] = withdrawn
    return frame[[*PARTICIPANT_COLUMNS, *(a.name for a in spec.attributes), "withdrawn_on"]]


def judged_frame(session: Session, contract_id: str) -> pd.DataFrame:
    """Withdrawn participants' metric conditions as judged before their attributes were erased
    (the engine's `judged` input)."""
    table = table_of(Withdrawal)
    rows = session.connection().execute(
        select(table.c.participant_id, table.c.judged).where(table.c.contract_id == contract_id)
    )
    found = [
        (pid, metric, held.get("conditions", ""), held.get("from"), held.get("to"))
        for pid, judged in rows
        for metric, held in (json_values([judged])[0] or {}).items()
    ]
    if not found:
        return no_judgements()
    frame = pd.DataFrame(found, columns=list(JUDGED_COLUMNS))
    for column in ("holds_from", "holds_to"):
        frame[column] = pd.to_datetime(frame[column], format="%Y-%m-%d").astype("datetime64[s]")
    for column in ("participant_id", "metric", "conditions"):
        frame[column] = frame[column].astype("str")
    return frame


def _typed(values: pd.Series, kind: AttributeType) -> pd.Series:
    if kind is AttributeType.DATE:
        return pd.to_datetime(values, format="%Y-%m-%d")
    if kind is AttributeType.BOOLEAN:
        # an unset optional flag is false: a rule on it then simply fails
        return values.map(lambda v: bool(v) if v is not None else False).astype(bool)
    if kind is AttributeType.INTEGER:
        return values.astype("Int64")
    return values.fillna("").astype("str")


def evidence_frame(
    session: Session, contract_id: str, as_of: datetime, spec: ContractSpec
) -> pd.DataFrame:
    """Evidence submitted at or before `as_of`, with its status as of then."""
    table = table_of(Evidence)
    ids, people, metrics, achieved, types, quantities, decisions, submitted = fetch_arrays(
        session,
        select(
            table.c.evidence_id,
            table.c.participant_id,
            table.c.metric,
            table.c.achieved_on,
            table.c.evidence_type,
            table.c.quantity,
            latest_decision_number(table, as_of),
            # the UTC day of submission (timestamps are naive UTC): the engine pays nothing
            # achieved after it, a claim about the future
            func.date(table.c.submitted_at),
        )
        # no ORDER BY: sorting 4M rows cost SQLite seconds, and nothing needs an order (the
        # engine takes rows in any order; the run digest sorts by id itself)
        .where(table.c.contract_id == contract_id, table.c.submitted_at <= as_of),
        [text, text, text, dates, text, counts, counts, dates],
    )
    frame = pd.DataFrame(
        {
            "evidence_id": ids,
            "participant_id": people,
            "metric": metrics,
            "achieved_on": achieved,
            "evidence_type": types,
            "quantity": quantities,
            "status": status_words(decisions.fillna(-1).to_numpy(dtype=np.int64), metrics, spec),
            "submitted_on": submitted,
        }
    )
    return frame[list(EVIDENCE_COLUMNS)]


def latest_decision_number(evidence: Any, as_of: datetime) -> Any:
    """Per evidence row, the number in DECISIONS of its latest decision by `as_of` (NULL when
    none; ledger.services.verification_status.latest_decision says which is latest). Small ints:
    Python
    makes no object for them, where 4M decision words would each be a string."""
    return case(
        {word: number for number, word in enumerate(DECISIONS)},
        value=latest_decision(evidence.c.id, as_of),
    )


def status_words(
    latest: np.ndarray, metrics: Sequence[str] | pd.Series, spec: ContractSpec
) -> pd.Array:
    """Statuses from each row's latest decision number (-1: none), by the one status rule
    (ledger.domain.entitlement.status): the decision, else automatic (the word `verified`) for an
    automatic metric or measure, else pending. Codes into a handful of words: no string per
    evidence row until the end (an unknown decision number counts as none)."""
    latest = np.where(latest < len(DECISIONS), latest, -1)
    # the metric column is looked up by Arrow in place (a str column is Arrow already)
    return words(standing(from_decision_numbers(latest), is_automatic(metrics, spec)))


def results_frame(
    session: Session, contract_id: str, as_of: datetime, cumulative: Collection[str] = ()
) -> pd.DataFrame:
    """The current result per cohort metric and cohort, as submitted at or before `as_of`; for
    the metrics in `cumulative` (a series of results over time), the current result of each
    evaluation date."""
    table = table_of(CohortResult)
    rows = session.connection().execute(
        select(*(table.c[name] for name in RESULT_COLUMNS), table.c.supersedes)
        .where(table.c.contract_id == contract_id, table.c.submitted_at <= as_of)
        .order_by(table.c.submitted_at, table.c.id)
    )
    frame = pd.DataFrame(rows.all(), columns=[*RESULT_COLUMNS, "supersedes"])
    series = frame["metric"].isin(list(cumulative))
    # a later submission for the same metric and cohort supersedes the earlier one; in a series,
    # for the same evaluation date, and a correction supersedes the result it names
    replaced = frame["result_id"].isin(frame.loc[series, "supersedes"].dropna())
    latest = frame[~series].drop_duplicates(["metric", "cohort"], keep="last")
    dated = frame[series & ~replaced].drop_duplicates(
        ["metric", "cohort", "evaluated_on"], keep="last"
    )
    frame = pd.concat([latest, dated]).drop(columns="supersedes").sort_values("result_id")
    for column in ("result_id", "metric", "cohort", "observed", "comparison", "reference"):
        frame[column] = frame[column].astype("str")
    frame["units"] = frame["units"].astype("int64")
    frame["evaluated_on"] = pd.to_datetime(frame["evaluated_on"].astype("object"))
    return frame.reset_index(drop=True)
