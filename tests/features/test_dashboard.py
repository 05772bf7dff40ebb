"""Steps for features/dashboard: the parties' pages, through the app's own HTTP client (the
browser run is tests/browser). The world is the API tests' (tests/features/conftest.py)."""

from __future__ import annotations

import re

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from pytest_bdd import given, parsers, scenarios, then, when

from api.dashboard import sessions
from contract_specs.model import Role
from tests.api.conftest import LITESTAR_DEPRECATIONS, OWN, verified_outcomes

pytestmark = [pytest.mark.usefixtures("client"), pytest.mark.filterwarnings(LITESTAR_DEPRECATIONS)]

scenarios("dashboard/sign_in.feature")
PAGE = f"/dash/contracts/{OWN}"
SECRET = {"acme": Role.PROVIDER, "dwp": Role.COMMISSIONER}


def _csrf(client: TestClient[Litestar]) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get("/dash/").text)
    assert found
    return found.group(1)


def _sign_in(client: TestClient[Litestar], as_role: dict[Role, dict[str, str]], role: Role) -> None:
    secret = as_role[role]["Authorization"].removeprefix("Bearer ")
    answer = client.post("/dash/sign-in", data={"token": secret, "csrf": _csrf(client)})
    assert answer.status_code == 200, answer.text


@given("acme's client P1 and bravo's client B1 have verified outcomes")
def outcomes(client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]) -> None:
    verified_outcomes(client, as_role)


@given("acme's caseworker has signed in to the dashboard")
@when("acme's caseworker signs in to the dashboard")
def caseworker(client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]) -> None:
    _sign_in(client, as_role, Role.PROVIDER)


@when("dwp's contract manager signs in to the dashboard")
def manager(client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]) -> None:
    _sign_in(client, as_role, Role.COMMISSIONER)


@when("the caseworker signs out")
def sign_out(client: TestClient[Litestar]) -> None:
    client.post("/dash/sign-out", data={"csrf": _csrf(client)})
    client.cookies.delete(sessions.COOKIE)  # as a browser drops a cleared cookie


@when("someone sends the sign-in form without its CSRF token")
def forged(client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]) -> None:
    secret = as_role[Role.PROVIDER]["Authorization"].removeprefix("Bearer ")
    client.post("/dash/sign-in", data={"token": secret, "csrf": "from-elsewhere"})


@then(parsers.parse('the contract page lists client "{own}" and not client "{other}"'))
def lists(client: TestClient[Litestar], own: str, other: str) -> None:
    text = client.get(PAGE).text
    assert f">{own}<" in text and f">{other}<" not in text


@then(parsers.parse('the page for client "{pid}" is not found'))
def not_found(client: TestClient[Litestar], pid: str) -> None:
    assert client.get(f"{PAGE}/participants/{pid}").status_code == 404


@then(parsers.parse('the page for client "{pid}" shows its evidence "{evidence}"'))
def evidence(client: TestClient[Litestar], pid: str, evidence: str) -> None:
    page = client.get(f"{PAGE}/participants/{pid}")
    assert page.status_code == 200 and evidence in page.text


@then(
    parsers.parse(
        'the contract page shows the period "{period}" with what was claimed and received'
    )
)
def periods(client: TestClient[Litestar], period: str) -> None:
    text = client.get(PAGE).text
    assert (
        period in text
        and "Claimed" in text
        and "Received" in text
        and "Your participants" not in text
    )


@then("the contract page asks for a token again")
def asks(client: TestClient[Litestar]) -> None:
    assert 'id="token"' in client.get(PAGE).text


@then("no session is made")
def no_session(client: TestClient[Litestar]) -> None:
    assert sessions.COOKIE not in client.cookies
    assert 'id="token"' in client.get(PAGE).text
