"""A small, hand-checked ledger the report tests read (and a check that it is what they assume).

Contract `rep-test`: accommodation entry pays 500.00 (within 6 months of start), sustained 3 and
6 months after entry pay 1,500.00 each; council pays 80%, the top-up fund 20%; council has a
commitment of 10,000.00 and the contract a cap of 50,000.00. Providers north-care (P1-P4) and
south-care (P5, P6). Two quarters are reconciled:

2015-Q1 (run 2015-04-05): entries of P1 (2015-02-01), P2 (2015-02-10), P5 (2015-01-20) verified:
    council 3 x 400.00 = 1,200.00; top-up 3 x 100.00 = 300.00. P3's entry is still pending.
2015-Q2 (run 2015-07-05): P1 and P5 sustained 3 months (1,200.00 + 1,200.00 to council); P2's
    entry revoked (-400.00 to council); P2's sustainment has no entry left (not payable); P6's
    entry rejected. Council's claim: 2,400.00 - 400.00 = 2,000.00; to date 3,200.00.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from ledger.services.contracts import active_spec, load_spec_file
from ledger.services.enrolment import import_participants
from ledger.services.evidence import import_evidence
from ledger.services.postings import post_entitlement
from ledger.services.verification import import_decisions
from ledger.storage.db import unit_of_work
from reconciliation.remittances import import_remittances
from reconciliation.runs import reconcile

CONTRACT = "rep-test"

SPEC = """\
spec_language: 1
contract:
  id: rep-test
  name: Reports test contract
  currency: GBP
  payment_frequency: quarterly
  service_start: 2015-01-01
  last_outcome_date: 2017-12-31
parties:
  - {id: council, role: commissioner, name: The council}
  - {id: top-up, role: commissioner, name: The top-up fund}
  - {id: north-care, role: provider, name: North Care}
  - {id: south-care, role: provider, name: South Care}
attributes:
  care_leaver: {type: boolean, required: false}
cohorts:
  - id: c1
    name: Referrals in 2015
    enrolment: {from: 2015-01-01, to: 2015-12-31}
metrics:
  - id: entry
    name: Move into accommodation
    window: {months: 6}
    tariff: [{from: 2015-01-01, price: "500.00"}]
    target: 4
    cohort_targets: {c1: 4}
  - id: sustained_3m
    name: Accommodation sustained 3 months
    prerequisites: [{metric: entry, min_gap: {months: 3}}]
    tariff: [{from: 2015-01-01, price: "1500.00"}]
    target: 3
  - id: sustained_6m
    name: Accommodation sustained 6 months
    prerequisites: [{metric: entry, min_gap: {months: 6}}]
    tariff: [{from: 2015-01-01, price: "1500.00"}]
payers:
  - {party: council, commitment: "10000.00"}
  - {party: top-up}
payer_shares:
  - {from: 2015-01-01, shares: {council: "80", top-up: "20"}}
caps:
  contract: "50000.00"
triggers:
  - id: sustainment-3m-low
    name: 3-month sustainment below 70% of entries
    metric: sustained_3m
    of: entry
    below_percent: "70"
"""

PARTICIPANTS_1 = """\
participant_id,cohort,provider,start_date,care_leaver
P1,c1,north-care,2015-01-15,true
P2,c1,north-care,2015-02-01,true
P3,c1,north-care,2015-02-15,false
P4,c1,north-care,2015-03-01,
P5,c1,south-care,2015-01-15,true
"""
PARTICIPANTS_2 = """\
participant_id,cohort,provider,start_date,care_leaver
P6,c1,south-care,2015-04-01,false
"""
EVIDENCE_1 = """\
evidence_id,participant_id,metric,achieved_on,evidence_type,quantity,reference
E1,P1,entry,2015-02-01,tenancy,,TEN-E1
E3,P2,entry,2015-02-10,tenancy,,TEN-E3
E5,P3,entry,2015-03-01,tenancy,,TEN-E5
E6,P5,entry,2015-01-20,tenancy,,TEN-E6
"""
DECISIONS_1 = """\
evidence_id,decision,reason
E1,verified,
E3,verified,
E6,verified,
"""
EVIDENCE_2 = """\
evidence_id,participant_id,metric,achieved_on,evidence_type,quantity,reference
E2,P1,sustained_3m,2015-05-01,landlord_letter,,LL-E2
E4,P2,sustained_3m,2015-04-01,landlord_letter,,LL-E4
E7,P5,sustained_3m,2015-04-20,landlord_letter,,LL-E7
E8,P6,entry,2015-05-01,tenancy,,TEN-E8
"""
DECISIONS_2 = """\
evidence_id,decision,reason
E2,verified,
E4,verified,
E7,verified,
E8,rejected,not signed
E3,revoked,tenancy ended before the date claimed
"""

# money received for 2015-Q1, quoting the claims' references: the council pays exactly, the
# top-up fund 10.00 short
REMITTANCES = """\
payer,amount,date,reference
council,1200.00,2015-05-01,REP-TEST-2015-Q1-COUNCIL-1
top-up,290.00,2015-05-02,REP-TEST-2015-Q1-TOP-UP-1
"""

Q1_RUN = datetime(2015, 4, 5, 9, 0, tzinfo=UTC)
Q2_RUN = datetime(2015, 7, 5, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class World:
    engine: Engine
    folder: Path


def _file(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def at(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, tzinfo=UTC)


def fixed(moment: datetime) -> Callable[[], datetime]:
    """A clock that always says `moment`."""
    return lambda: moment


def build_ledger(
    engine: Engine, folder: Path, *, q2: bool = True, reconciled: bool = False
) -> World:
    """Load the spec, enrol, submit and verify evidence, and post 2015-Q1 (and Q2).

    `reconciled`: run reconciliation itself (claims, matching), and record the money received
    for 2015-Q1 before 2015-Q2; otherwise only the ledger's postings are made."""
    folder.mkdir(parents=True, exist_ok=True)
    with unit_of_work(engine) as session:
        load_spec_file(session, _file(folder, "spec.yaml", SPEC), actor="test", now=at(2015, 1, 1))
    steps = [
        ("participants", PARTICIPANTS_1, at(2015, 3, 10)),
        ("evidence", EVIDENCE_1, at(2015, 3, 15)),
        ("decisions", DECISIONS_1, at(2015, 3, 20)),
        ("run", "2015-Q1", Q1_RUN),
        ("participants", PARTICIPANTS_2, at(2015, 4, 15)),
        *([("remittances", REMITTANCES, at(2015, 5, 3))] if reconciled else []),
        ("evidence", EVIDENCE_2, at(2015, 5, 20)),
        ("decisions", DECISIONS_2, at(2015, 6, 1)),
    ]
    if q2:
        steps.append(("run", "2015-Q2", Q2_RUN))
    for number, (what, text, now) in enumerate(steps):
        if what == "run" and reconciled:
            reconcile(engine, CONTRACT, text, now, actor="intermediary", now=now, clock=fixed(now))
            continue
        with unit_of_work(engine) as session:
            if what == "run":
                post_entitlement(session, CONTRACT, text, now, f"run-{text}", now=now)
                continue
            path = _file(folder, f"{number}-{what}.csv", text)
            if what == "remittances":
                spec = active_spec(session, CONTRACT).spec
                import_remittances(session, CONTRACT, spec, path, actor="finance", now=now)
            elif what == "decisions":
                import_decisions(session, CONTRACT, path, actor="verifier", now=now)
            else:
                importer = import_participants if what == "participants" else import_evidence
                active = active_spec(session, CONTRACT)
                importer(session, CONTRACT, active, path, actor="provider", now=now)
    return World(engine, folder)


def test_the_world_holds_the_postings_the_report_tests_assume(
    engine: Engine, tmp_path: Path
) -> None:
    from ledger.services.export import write_csv

    build_ledger(engine, tmp_path)
    import io

    out = io.StringIO()
    with unit_of_work(engine) as session:
        write_csv(session, CONTRACT, out)
    rows = [line.split(",") for line in out.getvalue().splitlines()[1:]]
    council = sorted((r[3], r[4], r[5], r[8], r[9]) for r in rows if r[7] == "council")
    assert council == [
        ("2015-Q1", "north-care/P1", "entry", "400.00", "outcome_payment"),
        ("2015-Q1", "north-care/P2", "entry", "400.00", "outcome_payment"),
        ("2015-Q1", "south-care/P5", "entry", "400.00", "outcome_payment"),
        ("2015-Q2", "north-care/P1", "sustained_3m", "1200.00", "outcome_payment"),
        ("2015-Q2", "north-care/P2", "entry", "-400.00", "adjustment"),
        ("2015-Q2", "south-care/P5", "sustained_3m", "1200.00", "outcome_payment"),
    ]
