"""The hand-checked report ledger (tests/integration/test_reports_world.py) with hostile text in
every place a party writes (issue 13, findings 1 and 6).

A spec written by a careless or hostile intermediary: the contract's name is a formula, the
council's name starts with `@`, a metric's name with `-`, North Care's name holds a control
character. Then the world's participants, evidence, decisions and remittances are imported
through the real intake, with free text that is a formula where a party may write one (an
evidence reference, a verifier's reason, a payer's remittance reference) and plain placeholder
ids; reconciled; and only then "aged": the placeholders are rewritten in the database itself
into what an old ledger, stored before the intake checked ids and refused control characters,
may hold (formulas, `+1`, `@SUM(A1)`, `-2+3`, `#N/A`, tabs, CR, BEL, ESC). The rewrite goes
round the append-only triggers the way an operator's deliberate repair would
(ledger.storage.immutability.remove/install) and, on PostgreSQL, round the foreign keys
(session_replication_role), touching every text column of every table, so it follows the data
wherever the schema keeps it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, String, create_engine, func, inspect, text
from sqlalchemy.types import TypeEngine
from sqlmodel import SQLModel

import reconciliation.tables  # noqa: F401  (its tables join the metadata rewritten below)
from contract_specs.loader import parse_spec_text
from ledger.services.contracts import CheckedText, active_spec, register_checked
from ledger.services.enrolment import import_participants
from ledger.services.evidence import import_evidence
from ledger.services.verification import import_decisions
from ledger.storage import immutability
from ledger.storage.db import unit_of_work
from reconciliation.remittances import import_remittances
from reconciliation.runs import reconcile
from tests.integration import test_reports_world as plain
from tests.integration.test_reports_world import CONTRACT, Q1_RUN, Q2_RUN, at, fixed

FORMULA_NAME = '=HYPERLINK("http://evil.example","Click for details")'
SPEC = (
    plain.SPEC.replace("name: Reports test contract", f"name: '{FORMULA_NAME}'")
    .replace("name: The council", "name: '@SUM(A1) council'")
    .replace("name: Move into accommodation", "name: '-1 Move into accommodation'")
    .replace("name: North Care", 'name: "North\\aCare"')
)

# sent through the real intake: free text a party may write, and the intake keeps
SENT = {
    "LL-E2": '=HYPERLINK("http://evil.example","ref")',  # a reference on a paid line
    "LL-E7": "@SUM(A1)",
    "not signed": "=cmd|' /C calc'!A0",  # a verifier's reason for a rejection
    "REP-TEST-2015-Q1-TOP-UP-1": "-10.00 short",  # a payer's remittance reference
}
# what an old ledger may hold, stored before the intake checked ids and refused control
# characters, by the placeholder the intake stored
AGED = {
    "XPIDQ1": FORMULA_NAME,  # paid in both quarters
    "XPIDQ2": "-2+3",  # an adjustment in 2015-Q2
    "XPIDQ3": "@SUM(A1)",  # evidence still pending
    "XPIDQ4": "\t=1+1\rx",  # nothing claimed: deadlines only
    "XPIDQ5": "+1",  # South Care, paid
    "XPIDQ6": "bell\x07and\x1bescape",  # South Care, evidence rejected
    "XEVQ1": "'=1+1",
    "XEVQ2": "=1+1",
    "XEVQ4": "#N/A",
    "XEVQ8": "ev\x0bvt",
}


def _csv_cell(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _placeholders(csv_text: str) -> str:
    """The world's file with the texts sent and placeholder ids (P1 -> XPIDQ1, E2 -> XEVQ2)."""
    for plain_text, sent in SENT.items():
        csv_text = csv_text.replace(plain_text, _csv_cell(sent))
    csv_text = re.sub(r"\bP(\d)\b", r"XPIDQ\1", csv_text)
    return re.sub(r"\bE(\d)\b", r"XEVQ\1", csv_text)


def shown(name: str) -> str:
    """What the ledger holds for a placeholder (aged) or a plain world's text (sent)."""
    return AGED.get(name) or SENT[name]


def build_hostile_ledger(engine: Engine, url: str, folder: Path) -> None:
    """The world, reconciled for 2015-Q1 and 2015-Q2 with its money received, then aged."""
    folder.mkdir(parents=True, exist_ok=True)
    load_as_stored_long_ago(engine, SPEC, "spec.yaml", at(2015, 1, 1))
    steps: list[tuple[str, str, datetime]] = [
        ("participants", plain.PARTICIPANTS_1, at(2015, 3, 10)),
        ("evidence", plain.EVIDENCE_1, at(2015, 3, 15)),
        ("decisions", plain.DECISIONS_1, at(2015, 3, 20)),
        ("run", "2015-Q1", Q1_RUN),
        ("participants", plain.PARTICIPANTS_2, at(2015, 4, 15)),
        ("remittances", plain.REMITTANCES, at(2015, 5, 3)),
        ("evidence", plain.EVIDENCE_2, at(2015, 5, 20)),
        ("decisions", plain.DECISIONS_2, at(2015, 6, 1)),
        ("run", "2015-Q2", Q2_RUN),
    ]
    for number, (what, content, now) in enumerate(steps):
        if what == "run":
            reconcile(engine, CONTRACT, content, now, actor="intermediary", now=now,
                      clock=fixed(now))  # fmt: skip
            continue
        path = folder / f"{number}-{what}.csv"
        path.write_text(_placeholders(content), encoding="utf-8")
        with unit_of_work(engine) as session:
            active = active_spec(session, CONTRACT)
            if what == "remittances":
                import_remittances(session, CONTRACT, active.spec, path, actor="finance", now=now)
            elif what == "decisions":
                import_decisions(session, CONTRACT, path, actor="verifier", now=now)
            elif what == "participants":
                import_participants(session, CONTRACT, active, path, actor="provider", now=now)
            else:
                import_evidence(session, CONTRACT, active, path, actor="provider", now=now)
    age(url, AGED)


def load_as_stored_long_ago(engine: Engine, text: str, source: str, now: datetime) -> None:
    """Register a spec as a ledger stored it before names were held to the text rules (a
    control character in a party's name): the spec is read as every stored version is read
    back (contract_specs.loader, `stored`), not as a new one is checked."""
    spec = parse_spec_text(text, source, stored=True)
    with unit_of_work(engine) as session:
        register_checked(session, CheckedText(source, text, spec), actor="test", now=now)


def age(url: str, replacements: Mapping[str, str]) -> None:
    """Rewrite every text column of every table, `replacements` applied, in one transaction.

    A plain engine (no foreign keys on SQLite), the append-only triggers removed and put back,
    and on PostgreSQL the foreign keys held off for the transaction."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SET LOCAL session_replication_role = replica"))
            immutability.remove(connection)
            present = set(inspect(connection).get_table_names())
            for table in SQLModel.metadata.sorted_tables:
                if table.name not in present or table.name == "audit_log":
                    continue
                for column in table.columns:
                    if not _holds_text(column.type):
                        continue
                    for old, new in replacements.items():
                        connection.execute(
                            table.update()
                            .where(column.contains(old, autoescape=True))
                            .values({column.name: func.replace(column, old, new)})
                        )
            immutability.install(connection)
    finally:
        engine.dispose()


def _holds_text(kind: TypeEngine[Any]) -> bool:
    # sqlmodel's AutoString decorates a String; JSON documents are not text columns
    return isinstance(kind, String) or isinstance(getattr(kind, "impl", None), String)


PROVIDERS = ("north-care", "south-care")


def as_local(values: Any) -> set[Any]:
    """`values` with each ledger key `<provider>/<local id>` (alone, or in a ";"-joined list of
    evidence ids) also given as its local id: the commissioner's files and the export name
    participants and evidence by key, and the hostile text is the local part."""
    values = list(values)
    out = set(values)
    for value in values:
        if not isinstance(value, str):
            continue
        parts = [
            part.split("/", 1)[1] if part.split("/", 1)[0] in PROVIDERS and "/" in part else part
            for part in value.split(";")
        ]
        out.add(";".join(parts))
    return out
