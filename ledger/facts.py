"""What the ledger knew at a cut-off T, as the engine's input frames (entitlement/types.py).

Participants enrolled at or before T; evidence submitted at or before T with its status from
the latest verification decision at or before T (pending when there is none; evidence for a
metric or measure verified `automatic` counts as verified from submission unless a decision
says otherwise); the current cohort results submitted at or before T. Column-wise SQL into
pandas: no ORM objects, so this scales to the number of participants a contract can have.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import select
from sqlmodel import Session

from contract_specs.model import AttributeType, ContractSpec, Verification
from ledger.contracts import active_spec
from ledger.entitlement.types import EVIDENCE_COLUMNS, PARTICIPANT_COLUMNS, RESULT_COLUMNS, Facts
from ledger.tables import CohortResult, Evidence, Participant, table_of
from ledger.verification import current_status


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
        participants=participants_frame(session, contract_id, as_of, spec),
        evidence=evidence_frame(session, contract_id, as_of, spec),
        results=results_frame(session, contract_id, as_of),
    )


def participants_frame(
    session: Session, contract_id: str, as_of: datetime, spec: ContractSpec
) -> pd.DataFrame:
    """Participants enrolled at or before `as_of`, one column per declared attribute."""
    table = table_of(Participant)
    rows = session.connection().execute(
        select(
            table.c.participant_id,
            table.c.cohort,
            table.c.provider,
            table.c.start_date,
            table.c.attributes,
        )
        .where(table.c.contract_id == contract_id, table.c.enrolled_at <= as_of)
        .order_by(table.c.participant_id)
    )
    data = rows.all()
    frame = pd.DataFrame(
        {
            "participant_id": pd.array([r[0] for r in data], dtype="str"),
            "cohort": pd.array([r[1] for r in data], dtype="str"),
            "provider": pd.array([r[2] for r in data], dtype="str"),
            "start_date": pd.to_datetime(pd.Series([r[3] for r in data], dtype="object")),
        }
    )
    for attribute in spec.attributes:
        values = pd.Series([r[4].get(attribute.name) for r in data], dtype="object")
        frame[attribute.name] = _typed(values, attribute.type)
    return frame[[*PARTICIPANT_COLUMNS, *(a.name for a in spec.attributes)]]


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
    rows = session.connection().execute(
        select(
            table.c.id,
            table.c.evidence_id,
            table.c.participant_id,
            table.c.metric,
            table.c.achieved_on,
            table.c.evidence_type,
            table.c.quantity,
        )
        .where(table.c.contract_id == contract_id, table.c.submitted_at <= as_of)
        .order_by(table.c.evidence_id)
    )
    data = rows.all()
    status = current_status(session, contract_id, as_of)
    automatic = {m.id for m in spec.metrics if m.verification is Verification.AUTOMATIC}
    automatic |= {m.id for m in spec.measures if m.verification is Verification.AUTOMATIC}
    frame = pd.DataFrame(
        {
            "evidence_id": pd.array([r[1] for r in data], dtype="str"),
            "participant_id": pd.array([r[2] for r in data], dtype="str"),
            "metric": pd.array([r[3] for r in data], dtype="str"),
            "achieved_on": pd.to_datetime(pd.Series([r[4] for r in data], dtype="object")),
            "evidence_type": pd.array([r[5] for r in data], dtype="str"),
            "quantity": pd.array([r[6] for r in data], dtype="Int64"),
            "status": pd.array(
                [status.get(r[0], "verified" if r[3] in automatic else "pending") for r in data],
                dtype="str",
            ),
        }
    )
    return frame[list(EVIDENCE_COLUMNS)]


def results_frame(session: Session, contract_id: str, as_of: datetime) -> pd.DataFrame:
    """The current result per cohort metric and cohort, as submitted at or before `as_of`."""
    table = table_of(CohortResult)
    rows = session.connection().execute(
        select(*(table.c[name] for name in RESULT_COLUMNS))
        .where(table.c.contract_id == contract_id, table.c.submitted_at <= as_of)
        .order_by(table.c.submitted_at, table.c.id)
    )
    frame = pd.DataFrame(rows.all(), columns=list(RESULT_COLUMNS))
    # a later submission for the same metric and cohort supersedes the earlier one
    frame = frame.drop_duplicates(["metric", "cohort"], keep="last").sort_values("result_id")
    for column in ("result_id", "metric", "cohort", "observed", "comparison", "reference"):
        frame[column] = frame[column].astype("str")
    frame["units"] = frame["units"].astype("int64")
    frame["evaluated_on"] = pd.to_datetime(frame["evaluated_on"].astype("object"))
    return frame.reset_index(drop=True)
