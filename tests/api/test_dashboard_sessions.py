"""The dashboard's sign-in (issue 15): a token becomes a session cookie, forms need the CSRF
token, pages follow the API's reach (another provider's client: 404), sign-out ends it."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.testing import TestClient

from api.dashboard import sessions
from contract_specs.model import Role
from tests.api.conftest import OWN, verified_outcomes
from tests.read_back import shown_in_html


def _csrf(client: TestClient[Litestar]) -> str:
    page = client.get("/dash/")
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def _sign_in(client: TestClient[Litestar], secret: str) -> None:
    answer = client.post(
        "/dash/sign-in", data={"token": secret, "csrf": _csrf(client)}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")


def test_a_token_signs_in_and_the_contracts_page_shows_its_contracts(
    client: TestClient[Litestar], world: dict[Role, str]
) -> None:
    _sign_in(client, world[Role.COMMISSIONER])
    page = client.get("/dash/contracts")
    assert page.status_code == 200 and OWN in page.text
    assert "rival" not in shown_in_html(page.text).lower().replace("arrival", "")
    assert '/dash/contracts/rival"' not in page.text


def test_a_form_without_the_csrf_token_is_refused(
    client: TestClient[Litestar], world: dict[Role, str]
) -> None:
    _csrf(client)
    answer = client.post(
        "/dash/sign-in", data={"token": world[Role.PROVIDER], "csrf": "forged"},
        follow_redirects=False,
    )  # fmt: skip
    assert answer.status_code == 404
    assert sessions.COOKIE not in answer.headers.get("set-cookie", "")


def test_a_bad_token_is_told_and_no_session_is_made(client: TestClient[Litestar]) -> None:
    answer = client.post("/dash/sign-in", data={"token": "nope", "csrf": _csrf(client)})
    assert answer.status_code == 401 and "not valid" in answer.text


def test_a_provider_cannot_open_another_providers_client(
    client: TestClient[Litestar], world: dict[Role, str], as_role: dict[Role, dict[str, str]]
) -> None:
    verified_outcomes(client, as_role)  # acme's P1 and bravo's B1
    _sign_in(client, world[Role.PROVIDER])  # acme
    own = client.get(f"/dash/contracts/{OWN}/participants/P1")
    assert own.status_code == 200 and "E1" in own.text
    assert client.get(f"/dash/contracts/{OWN}/participants/B1").status_code == 404


def test_sign_out_ends_the_session(client: TestClient[Litestar], world: dict[Role, str]) -> None:
    _sign_in(client, world[Role.INTERMEDIARY])
    answer = client.post("/dash/sign-out", data={"csrf": _csrf(client)}, follow_redirects=False)
    assert answer.status_code == 303
    client.cookies.delete(sessions.COOKIE)  # the browser drops the cleared cookie
    assert client.get("/dash/contracts", follow_redirects=False).status_code in (302, 303)


def test_an_expired_or_forged_cookie_is_no_session() -> None:
    sealed = sessions.seal("secret", now=1000.0)
    assert sessions.unseal(sealed, now=1001.0) == "secret"
    assert sessions.unseal(sealed, now=1000.0 + sessions.LIFETIME_SECONDS + 1) is None
    assert sessions.unseal(sealed.replace("secret", "secreu"), now=1001.0) is None


def test_a_contract_page_shows_periods_to_money_readers_and_own_clients_to_a_provider(
    client: TestClient[Litestar], world: dict[Role, str], as_role: dict[Role, dict[str, str]]
) -> None:
    verified_outcomes(client, as_role)
    _sign_in(client, world[Role.COMMISSIONER])
    page = client.get(f"/dash/contracts/{OWN}")
    assert page.status_code == 200 and "2015-Q1" in page.text and "Outstanding" in page.text
    _sign_in(client, world[Role.PROVIDER])
    page = client.get(f"/dash/contracts/{OWN}")
    shown = shown_in_html(page.text)
    assert "P1" in shown and "B1" not in shown and "Claimed" not in shown
    assert "/participants/B1" not in page.text
    assert client.get("/dash/contracts/rival").status_code == 404


def test_the_chart_bars_scale_to_the_largest_and_carry_their_figures() -> None:
    from decimal import Decimal

    from api.dashboard.views import bars

    drawn = bars([("2015-Q1", Decimal("50.00")), ("2015-Q2", Decimal("100.00"))], height=100)
    assert [b.height for b in drawn] == [50, 100]
    assert drawn[0].label == "2015-Q1: 50.00"
