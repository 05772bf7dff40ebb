"""The dashboard in a real headless Chromium (Debian's chromium and chromedriver, through
Selenium with the driver named, so nothing is downloaded). One server for the module, few page
loads: sign in per role, see only that role's part, another provider's client is 404, sign out.
Screenshots of the main pages go to docs/img/ (shown in README.md)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn
from litestar.testing import TestClient
from selenium.webdriver.remote.webdriver import WebDriver
from sqlalchemy import Engine

from api.app import create_app
from contract_specs.model import Role
from ledger.storage.db import make_engine, upgrade
from tests.api.conftest import OWN, bearer, load_world, verified_outcomes

webdriver = pytest.importorskip("selenium.webdriver")
CHROMIUM, DRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM.exists() and DRIVER.exists()), reason="Debian's chromium is not installed"
)
IMG = Path(__file__).parents[2] / "docs" / "img"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[Role, str]]]:
    """The app on a SQLite file with both test contracts and outcomes, served on loopback."""
    engine: Engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('dash')}/dash.sqlite")
    upgrade(engine)
    secrets = load_world(engine, datetime(2016, 1, 1, 12, tzinfo=UTC))
    app = create_app(engine=engine)
    with TestClient(app) as client:
        verified_outcomes(client, {r: bearer(s) for r, s in secrets.items()})
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)  # waiting for the server to listen, not timing anything
    yield f"http://127.0.0.1:{port}", secrets
    server.should_exit = True
    thread.join(10)
    engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1100,800",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=str(DRIVER)), options=options)
    yield driver
    driver.quit()


def _sign_in(driver: WebDriver, base: str, secret: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{base}/dash/")
    driver.find_element(By.ID, "token").send_keys(secret)
    driver.find_element(By.CSS_SELECTOR, "main form button").click()
    _arrived(driver, "/dash/contracts")


def _sign_out(driver: WebDriver) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.CSS_SELECTOR, "header form button").click()
    _arrived(driver, "/dash/")


def _arrived(driver: WebDriver, path: str) -> None:
    """Wait for the form's redirect to land (a navigation, not a timing)."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 10).until(lambda d: d.current_url.endswith(path))


def test_each_role_sees_its_own_part_in_chromium(
    site: tuple[str, dict[Role, str]], browser: WebDriver
) -> None:
    base, secrets = site
    d = browser
    IMG.mkdir(parents=True, exist_ok=True)
    d.get(f"{base}/dash/")
    d.save_screenshot(str(IMG / "sign-in.png"))

    _sign_in(d, base, secrets[Role.COMMISSIONER])
    assert OWN in d.page_source and "rival" not in d.page_source
    d.get(f"{base}/dash/contracts/{OWN}")
    assert "2015-Q1" in d.page_source and "Received" in d.page_source
    d.save_screenshot(str(IMG / "commissioner-contract.png"))
    _sign_out(d)
    d.get(f"{base}/dash/contracts/{OWN}")
    assert 'id="token"' in d.page_source  # signed out

    _sign_in(d, base, secrets[Role.PROVIDER])
    d.get(f"{base}/dash/contracts/{OWN}")
    assert "P1" in d.page_source and "B1" not in d.page_source
    assert "Claimed" not in d.page_source
    d.save_screenshot(str(IMG / "provider-contract.png"))
    d.get(f"{base}/dash/contracts/{OWN}/participants/P1")
    assert "E1" in d.page_source
    d.save_screenshot(str(IMG / "provider-participant.png"))
    d.get(f"{base}/dash/contracts/{OWN}/participants/B1")
    assert "Not found" in d.page_source  # the 404 page
    d.save_screenshot(str(IMG / "not-found.png"))
    d.get(f"{base}/dash/contracts")
    _sign_out(d)
    assert 'id="token"' in d.page_source
