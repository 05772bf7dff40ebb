"""Browser sessions: a bearer token exchanged for a signed, expiring, HttpOnly cookie.

Why signed cookies and not a sessions table: the cookie carries the token's secret, signed
with a key the app holds, and its expiry; every page checks the token again through the API's
own lookup (api.auth), so revoking the token or dropping its party ends the session at the
next page, with no second store of sessions to keep in step with the token table. The key
lives in memory (OUTCOMES_DASHBOARD_KEY, or a random one per process): a restart signs
everyone out, which a first version accepts.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time

COOKIE = "outcomes_session"
CSRF_COOKIE = "outcomes_csrf"
LIFETIME_SECONDS = 8 * 60 * 60

_KEY = os.environ.get("OUTCOMES_DASHBOARD_KEY", "").encode() or secrets.token_bytes(32)


def _mac(payload: str) -> str:
    return hmac.new(_KEY, payload.encode(), hashlib.sha256).hexdigest()


def seal(secret: str, now: float | None = None) -> str:
    """The cookie value standing for `secret` until LIFETIME_SECONDS from now."""
    expires = int((now if now is not None else time.time()) + LIFETIME_SECONDS)
    payload = f"{expires}.{secret}"
    return f"{payload}.{_mac(payload)}"


def unseal(value: str, now: float | None = None) -> str | None:
    """The token secret a cookie stands for, or None (forged, malformed or expired)."""
    payload, _, mac = value.rpartition(".")
    expires, _, secret = payload.partition(".")
    if not (payload and secret and expires.isdigit()):
        return None
    if not hmac.compare_digest(mac, _mac(payload)):
        return None
    if int(expires) < (now if now is not None else time.time()):
        return None
    return secret


def new_csrf() -> str:
    """A fresh double-submit token: set as a cookie and echoed in every form."""
    return secrets.token_urlsafe(24)


def csrf_matches(cookie: str | None, field: str | None) -> bool:
    """Whether a form's CSRF field is the one its browser's cookie holds."""
    return bool(cookie) and bool(field) and hmac.compare_digest(str(cookie), str(field))
