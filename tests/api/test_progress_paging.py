"""The progress JSON a dashboard polls: the long tables a page at a time with their totals, an
ETag that holds until the ledger changes (304 with no body meanwhile), and a provider's page
holding only its own participants."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient

from contract_specs.model import Role
from tests.api.conftest import OWN, RIVAL, token_for

URL = f"/api/contracts/{OWN}/progress"
PERIOD = "2015-Q1"
# set right after the imports (_enrol), so the evidence is known by then and waits for
# verification (a cut-off in the future is refused)
AS_OF = datetime.now(UTC).isoformat()
LONG = ("deadlines", "awaiting_verification", "likely_unclaimed")
ACME = ["P1", "P2", "P3"]
BRAVO = ["B1", "B2"]


def _people(ids: list[str], provider: str) -> list[dict[str, str]]:
    return [
        {
            "participant_id": pid,
            "cohort": "c1",
            "provider": provider,
            "start_date": "2015-01-05",
            "date_of_birth": "1995-06-01",
        }
        for pid in ids
    ]


def _evidence(ids: list[str]) -> list[dict[str, str]]:
    # job entries never verified: each waits for verification
    return [
        {
            "evidence_id": f"E-{pid}",
            "participant_id": pid,
            "metric": "job_entry",
            "achieved_on": "2015-02-01",
            "evidence_type": "payslip",
        }
        for pid in ids
    ]


def _enrol(client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]) -> None:
    manager = as_role[Role.INTERMEDIARY]
    for what, rows in (
        ("participants", _people(ACME, "acme") + _people(BRAVO, "bravo")),
        ("evidence", _evidence(ACME + BRAVO)),
    ):
        answer = client.post(f"/api/contracts/{OWN}/{what}", headers=manager, json={"rows": rows})
        assert answer.status_code == 201, answer.text
    global AS_OF
    AS_OF = _now()


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _get(client: TestClient[Litestar], headers: dict[str, str], **params: Any) -> Any:
    answer = client.get(URL, headers=headers, params={"period": PERIOD, "as_of": AS_OF, **params})
    assert answer.status_code == 200, answer.text
    return answer


def _pages(
    client: TestClient[Litestar], headers: dict[str, str], limit: int
) -> dict[str, list[Any]]:
    """Each long table read page by page until its total."""
    rows: dict[str, list[Any]] = {name: [] for name in LONG}
    offset = 0
    while True:
        body = _get(client, headers, limit=limit, offset=offset).json()
        for name in LONG:
            page = body["tables"][name]
            assert len(page) <= limit
            assert body["pages"][name] == {
                "total": body["pages"][name]["total"],
                "offset": offset,
                "limit": limit,
            }
            rows[name] += page
        offset += limit
        if offset >= max(body["pages"][name]["total"] for name in LONG):
            return rows


def test_the_long_tables_come_a_page_at_a_time_with_their_totals(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    _enrol(client, as_role)
    manager = as_role[Role.INTERMEDIARY]
    whole = _get(client, manager, limit=1000).json()
    # five job entries wait for verification, one per participant
    assert whole["pages"]["awaiting_verification"]["total"] == len(ACME + BRAVO)
    for name in LONG:
        assert whole["pages"][name]["total"] == len(whole["tables"][name])
    assert _pages(client, manager, limit=2) == {name: whole["tables"][name] for name in LONG}
    first = _get(client, manager, limit=2).json()
    assert len(first["tables"]["awaiting_verification"]) == 2
    # the summary tables are never cut
    for name in ("progress", "funnel", "flags", "by_group"):
        assert first["tables"][name] == whole["tables"][name]
    beyond = _get(client, manager, offset=50).json()
    assert all(beyond["tables"][name] == [] for name in LONG)
    assert beyond["pages"]["awaiting_verification"]["total"] == len(ACME + BRAVO)


def test_limits_outside_the_range_are_refused(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    for params in ({"limit": 0}, {"limit": 1001}, {"offset": -1}):
        answer = client.get(
            URL, headers=as_role[Role.INTERMEDIARY], params={"period": PERIOD, **params}
        )
        assert answer.status_code == 400, (params, answer.text)


def test_a_repeated_request_is_not_modified_until_the_ledger_changes(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    _enrol(client, as_role)
    acme = as_role[Role.PROVIDER]
    first = _get(client, acme, limit=2)
    tag = first.headers["etag"]
    again = client.get(
        URL,
        headers={**acme, "If-None-Match": tag},
        params={"period": PERIOD, "as_of": AS_OF, "limit": 2},
    )
    assert (again.status_code, again.content) == (304, b"")
    assert again.headers["etag"] == tag
    # another page of the same report is another entity
    assert _get(client, acme, limit=2, offset=2).headers["etag"] != tag
    verified = client.post(
        f"/api/contracts/{OWN}/verifications",
        headers=as_role[Role.INTERMEDIARY],
        json={"rows": [{"evidence_id": "E-P1", "decision": "verified"}]},
    )
    assert verified.status_code == 201, verified.text
    after = client.get(
        URL,
        headers={**acme, "If-None-Match": tag},
        params={"period": PERIOD, "as_of": AS_OF, "limit": 2},
    )
    assert after.status_code == 200
    assert after.headers["etag"] != tag
    # as of the same cut-off the verification made after it does not count; as of now it does
    waiting = after.json()["pages"]["awaiting_verification"]["total"]
    assert waiting == len(ACME)
    now = _get(client, acme, limit=2, as_of=_now()).json()
    assert now["pages"]["awaiting_verification"]["total"] == len(ACME) - 1


def test_a_provider_pages_through_its_own_participants_only(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    _enrol(client, as_role)
    bravo = token_for(client, Role.PROVIDER, "bravo")
    for headers, own in ((as_role[Role.PROVIDER], ACME), (bravo, BRAVO)):
        rows = _pages(client, headers, limit=1)
        seen = {row["participant_id"] for table in rows.values() for row in table}
        assert seen == set(own)
        assert len(rows["awaiting_verification"]) == len(own)
    asked = client.get(
        URL,
        headers=as_role[Role.PROVIDER],
        params={"period": PERIOD, "provider": "bravo", "limit": 1},
    )
    assert asked.status_code == 404


def test_a_page_served_from_memory_still_checks_the_token_and_the_caller(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]], engine: Any
) -> None:
    from datetime import UTC, datetime

    from ledger.storage.db import unit_of_work
    from ledger.storage.tokens import create_token, revoke_token

    _enrol(client, as_role)
    with unit_of_work(engine) as session:
        made = create_token(session, "provider", "acme", OWN, actor="t", now=datetime.now(UTC))
    acme = {"Authorization": f"Bearer {made.secret}"}
    warm = _get(client, acme).content
    assert _get(client, acme).content == warm  # kept: the same bytes again
    # the intermediary's page of the whole contract is not a provider's to read
    _get(client, as_role[Role.INTERMEDIARY])
    rival = token_for(client, Role.PROVIDER, "beta", RIVAL)  # a provider of the other contract only
    params = {"period": PERIOD, "as_of": AS_OF}
    for headers, status in ((rival, 404), (as_role[Role.COMMISSIONER], 403)):
        assert client.get(URL, headers=headers, params=params).status_code == status
    with unit_of_work(engine) as session:
        assert revoke_token(session, made.caller.token_id, actor="t", now=datetime.now(UTC))
    refused = client.get(URL, headers=acme, params=params)
    assert refused.status_code == 401
