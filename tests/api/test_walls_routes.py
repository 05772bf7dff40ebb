"""Over the API, no answer to one provider depends on another provider's data (issue 13,
finding 2): the same status and body for another provider's id as for nobody's, its own ids
back in what it reads, and every other role naming participants by their ledger keys."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import TestClient

from contract_specs.model import Role
from tests.api.conftest import OWN, token_for

BASE = f"/api/contracts/{OWN}"


def person(pid: str, provider: str, born: str = "1995-06-01") -> dict[str, str]:
    return {
        "participant_id": pid,
        "cohort": "c1",
        "provider": provider,
        "start_date": "2015-02-01",
        "date_of_birth": born,
    }


def job(eid: str, pid: str, day: str = "2015-03-01") -> dict[str, str]:
    return {
        "evidence_id": eid,
        "participant_id": pid,
        "metric": "job_entry",
        "achieved_on": day,
        "evidence_type": "payslip",
    }


def post(client: TestClient[Litestar], headers: dict[str, str], what: str, rows: list[Any]) -> Any:
    return client.post(f"{BASE}/{what}", headers=headers, json={"rows": rows})


def answer(response: Any) -> tuple[int, Any]:
    return response.status_code, response.json()


def test_enrolling_another_providers_id_answers_as_an_unknown_id(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    acme = as_role[Role.PROVIDER]
    bravo = token_for(client, Role.PROVIDER, "bravo")
    assert post(client, acme, "participants", [person("P1", "acme")]).status_code == 201
    # Bravo sends Acme's P1 with another birth date, then an id nobody has
    probe = answer(post(client, bravo, "participants", [person("P1", "bravo", "1997-01-01")]))
    unknown = answer(post(client, bravo, "participants", [person("Q7", "bravo", "1997-01-01")]))
    assert probe == unknown == (201, {"new": 1, "unchanged": 0})


def test_a_row_naming_another_provider_is_never_compared_with_its_people(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    bravo = token_for(client, Role.PROVIDER, "bravo")
    assert post(client, bravo, "participants", [person("P1", "bravo")]).status_code == 201
    acme = as_role[Role.PROVIDER]
    # Acme writes Bravo's party in the provider column: refused, and only that is said
    probe = answer(post(client, acme, "participants", [person("P1", "bravo", "1997-01-01")]))
    unknown = answer(post(client, acme, "participants", [person("Q7", "bravo", "1997-01-01")]))
    assert probe == unknown
    assert probe[0] == 422
    assert probe[1]["error"]["details"] == [
        {
            "path": "$.rows[0].provider",
            "message": "is another provider: you may enrol only your own participants (acme)",
        }
    ]


def test_evidence_for_another_providers_participant_answers_as_for_nobody(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    manager, acme = as_role[Role.INTERMEDIARY], as_role[Role.PROVIDER]
    bravo = token_for(client, Role.PROVIDER, "bravo")
    enrolled = post(client, manager, "participants", [person("P1", "acme"), person("B1", "bravo")])
    assert enrolled.status_code == 201, enrolled.text
    assert post(client, acme, "evidence", [job("E1", "P1")]).status_code == 201
    theirs = answer(post(client, bravo, "evidence", [job("E2", "P1")]))
    nobody = answer(post(client, bravo, "evidence", [job("E2", "Z9")]))
    assert theirs == nobody
    assert theirs[0] == 422
    assert theirs[1]["error"]["details"] == [
        {
            "path": "$.rows[0].participant_id",
            "message": "is not one of your enrolled participants: enrol the participant first",
        }
    ]
    # Acme's evidence id E1 is no conflict for Bravo's own E1: another namespace
    assert answer(post(client, bravo, "evidence", [job("E1", "B1", "2015-04-01")])) == (
        201,
        {"new": 1, "unchanged": 0},
    )
    # and a provider may not name another provider in the optional provider column
    other = post(client, bravo, "evidence", [{**job("E3", "B1"), "provider": "acme"}])
    assert other.status_code == 422
    assert other.json()["error"]["details"][0]["path"] == "$.rows[0].provider"


def test_ids_outside_the_character_set_are_refused_in_json_rows_and_uploads(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    acme = as_role[Role.PROVIDER]
    refused = post(client, acme, "participants", [person("P1", "acme"), person("=1+1", "acme")])
    assert refused.status_code == 422
    (detail,) = refused.json()["error"]["details"]
    assert detail["path"] == "$.rows[1].participant_id"
    assert detail["message"].startswith("starts with '=', which a spreadsheet reads as a formula")
    upload = client.post(
        f"{BASE}/participants/upload",
        headers=acme,
        files={
            "file": (
                "people.csv",
                b"participant_id,cohort,provider,start_date,date_of_birth\n"
                b"P 1,c1,acme,2015-02-01,1995-06-01\n",
            )
        },
    )
    assert upload.status_code == 422
    assert upload.json()["error"]["details"] == [
        {
            "row": 2,
            "column": "participant_id",
            "message": "contains ' ': an id is 1 to 64 letters, digits, '.', '_' or '-', "
            "starting with a letter or a digit",
        }
    ]


def _enrol_two_p1s(client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]) -> None:
    manager = as_role[Role.INTERMEDIARY]
    people = [person("P1", "acme"), person("P1", "bravo", "1998-02-02")]
    assert post(client, manager, "participants", people).status_code == 201
    evidence = [{**job("E1", "P1"), "provider": "acme"}, {**job("E1", "P1"), "provider": "bravo"}]
    assert post(client, manager, "evidence", evidence).status_code == 201


def test_a_provider_explains_its_own_ids_and_cannot_name_anyone_elses(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    _enrol_two_p1s(client, as_role)
    acme = as_role[Role.PROVIDER]
    mine = client.get(f"{BASE}/participants/P1/explain", headers=acme)
    assert mine.status_code == 200, mine.text
    story = mine.json()
    assert story["participant_id"] == "P1"
    assert [e["evidence_id"] for m in story["metrics"] for e in m["evidence"]] == ["E1"]
    asking = client.get(
        f"{BASE}/participants/P1/explain", headers=acme, params={"provider": "bravo"}
    )
    nobody = client.get(f"{BASE}/participants/P1/explain", headers=acme, params={"provider": "x"})
    assert answer(asking) == answer(nobody)
    assert asking.status_code == 404
    # an id only Bravo has: the same 404 as an id nobody has (the id itself aside)
    only_bravo = post(client, as_role[Role.INTERMEDIARY], "participants", [person("B7", "bravo")])
    assert only_bravo.status_code == 201
    theirs = client.get(f"{BASE}/participants/B7/explain", headers=acme)
    unknown = client.get(f"{BASE}/participants/Z7/explain", headers=acme)
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.text.replace("B7", "Z7") == unknown.text


def test_other_roles_name_a_provider_or_an_unambiguous_id(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    _enrol_two_p1s(client, as_role)
    commissioner = as_role[Role.COMMISSIONER]
    ambiguous = client.get(f"{BASE}/participants/P1/explain", headers=commissioner)
    assert ambiguous.status_code == 422
    assert "more than one provider (acme, bravo)" in ambiguous.json()["error"]["message"]
    chosen = client.get(
        f"{BASE}/participants/P1/explain", headers=commissioner, params={"provider": "bravo"}
    )
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["participant_id"] == "bravo/P1"
    evidence = [e["evidence_id"] for m in chosen.json()["metrics"] for e in m["evidence"]]
    assert evidence == ["bravo/E1"]
