"""What each participant consented to, recorded at enrolment, and what enrolment keeps apart.

The spec's `consents` are each a column of the participants file, true or false: a missing or
unreadable value is refused at its row and field, and so is a required consent not given. The
person's declared attributes are stored sealed with their own key (ledger.storage.sealed), and
their consents beside them, so that a withdrawal can erase the attributes and keep the rest.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import Connection, select
from sqlmodel import Session

from contract_specs.model import ContractSpec
from ledger.intake.row_checks import RowChecks, parse_booleans
from ledger.storage.bulk import insert_columns
from ledger.storage.sealed import SLICE, sealed_rows
from ledger.storage.tables import (
    ParticipantAttributes,
    ParticipantConsents,
    ParticipantKey,
    Withdrawal,
    table_of,
)


def consents_given(checks: RowChecks, spec: ContractSpec) -> list[dict[str, bool]]:
    """Each row's consents (name -> given); flags a missing, unreadable or required-but-refused
    consent at its row and field."""
    frame = checks.frame
    given: dict[str, pd.Series] = {}
    for consent in spec.consents:
        name = consent.name
        raw = frame[name] if name in frame else pd.Series("", index=frame.index, dtype="str")
        values = parse_booleans(raw)
        # a column left out of the file reads as empty cells (ledger.intake.row_checks)
        checks.flag(
            raw == "",
            name,
            f"is empty: say in the column {name} whether the participant gave this consent "
            "(true or false)",
        )
        checks.flag((raw != "") & values.isna(), name, "is not true or false")
        if consent.required:
            allows = ", ".join(use.value for use in consent.allows)
            checks.flag(
                values.eq(False).fillna(False).astype(bool),
                name,
                f"is false: this consent is needed to enrol (it allows {allows}); "
                "a participant who does not give it cannot be enrolled",
            )
        given[name] = values.fillna(False).astype(bool)
    names = list(given)
    columns = [given[n].tolist() for n in names]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)] or [
        {} for _ in range(len(frame))
    ]


def refuse_withdrawn(
    checks: RowChecks, typed: pd.DataFrame, session: Session, contract_id: str
) -> None:
    """A withdrawn participant is never enrolled again under the same id: their attributes were
    erased, and what they withdrew is not given back by a file."""
    withdrawn = withdrawn_ids(session.connection(), contract_id, typed["participant_id"])
    checks.flag(
        typed["participant_id"].isin(sorted(withdrawn)),
        "participant_id",
        "withdrew their consent: they are not enrolled again under this id (if they consent "
        "again, enrol them under a new id)",
    )


def withdrawn_ids(connection: Connection, contract_id: str, ids: Iterable[str]) -> set[str]:
    """Which of `ids` have withdrawn."""
    table = table_of(Withdrawal)
    wanted = sorted(set(ids))
    found: set[str] = set()
    for i in range(0, len(wanted), SLICE):
        found.update(
            connection.execute(
                select(table.c.participant_id).where(
                    table.c.contract_id == contract_id,
                    table.c.participant_id.in_(wanted[i : i + SLICE]),
                )
            ).scalars()
        )
    return found


def store_private(
    session: Session,
    contract_id: str,
    people: Sequence[tuple[str, dict[str, Any], dict[str, bool]]],
) -> None:
    """Store new participants' sealed attributes, their keys and their consents (id,
    attributes, consents), after their participant rows."""
    if not people:
        return
    keys, sealed = sealed_rows(contract_id, [(pid, attributes) for pid, attributes, _ in people])
    connection = session.connection()
    for model, rows in ((ParticipantKey, keys), (ParticipantAttributes, sealed)):
        insert_columns(
            connection, table_of(model), {k: [r[k] for r in rows] for k in rows[0]}, len(rows)
        )
    insert_columns(
        connection,
        table_of(ParticipantConsents),
        {
            "contract_id": contract_id,
            "participant_id": [pid for pid, _, _ in people],
            "consents": [consents for _, _, consents in people],
        },
        len(people),
    )


def stored_consents(
    connection: Connection, contract_id: str, ids: Iterable[str]
) -> dict[str, dict[str, bool]]:
    """Participant id -> the consents recorded at their enrolment."""
    table = table_of(ParticipantConsents)
    wanted = sorted(set(ids))
    found: dict[str, dict[str, bool]] = {}
    for i in range(0, len(wanted), SLICE):
        for pid, consents in connection.execute(
            select(table.c.participant_id, table.c.consents).where(
                table.c.contract_id == contract_id,
                table.c.participant_id.in_(wanted[i : i + SLICE]),
            )
        ):
            found[pid] = dict(consents) if isinstance(consents, dict) else {}
    return found
