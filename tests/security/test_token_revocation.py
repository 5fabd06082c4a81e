"""Tokens: tampering refused, an expiry required, and sign-out (or deactivation) revokes every token of the user."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from ecogrid.accounts import service as user_service
from ecogrid.core import security
from tests.conftest import TEST_SECRET
from tests.security.sign_in_support import api_sign_in, sign_in_by_form


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _claims(user, **changes) -> dict:
    claims = {"sub": str(user.id), "role": user.role, "ver": 0, "exp": datetime.now(UTC) + timedelta(hours=1)}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def test_a_token_without_an_expiry_is_refused(client, make_user):
    clerk = make_user("clerk")
    assert client.get("/api/v1/auth/me", headers=_bearer(jwt.encode(_claims(clerk), TEST_SECRET))).status_code == 200
    eternal = jwt.encode(_claims(clerk, exp=None), TEST_SECRET)
    assert client.get("/api/v1/auth/me", headers=_bearer(eternal)).status_code == 401


def _unsigned(claims: dict) -> str:
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value, default=str).encode()).rstrip(b"=").decode()

    claims = {**claims, "exp": int(claims["exp"].timestamp())}
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


@pytest.mark.parametrize("tamper", ["alg_none", "other_key", "changed_claims", "expired"])
def test_tampered_tokens_are_refused(client, make_user, settings, tamper):
    clerk, admin = make_user("clerk"), make_user("admin")
    if tamper == "alg_none":
        token = _unsigned(_claims(admin))
    elif tamper == "other_key":
        token = jwt.encode(_claims(admin), "another-secret-that-is-long-enough-0123456789")
    elif tamper == "changed_claims":
        # The clerk's own valid token with the payload swapped for the admin's: the signature no longer fits.
        header, _, signature = security.issue_token(settings=settings, user_id=clerk.id, role="clerk").split(".")
        payload = base64.urlsafe_b64encode(json.dumps(
            {**_claims(admin), "exp": int(datetime.now(UTC).timestamp()) + 3600}).encode()).rstrip(b"=").decode()
        token = f"{header}.{payload}.{signature}"
    else:
        token = jwt.encode(_claims(admin, exp=datetime.now(UTC) - timedelta(seconds=5)), TEST_SECRET)
    assert client.get("/api/v1/users", headers=_bearer(token)).status_code == 401


def test_token_lifetime_is_the_setting(make_user, settings):
    user = make_user("clerk")
    settings.token_minutes = 30
    claims = jwt.decode(user_service.issue_token(settings=settings, user=user), TEST_SECRET, algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == 30 * 60
    assert claims["ver"] == user.token_version


def test_sign_out_revokes_every_token_of_the_user(client, make_user):
    make_user("chief", username="leaving-chief")
    phone = api_sign_in(client, "leaving-chief").json()["access_token"]
    desk = api_sign_in(client, "leaving-chief").json()["access_token"]
    assert client.get("/api/v1/auth/me", headers=_bearer(phone)).status_code == 200

    assert client.post("/api/v1/auth/logout", headers=_bearer(phone)).status_code == 204
    assert client.get("/api/v1/auth/me", headers=_bearer(phone)).status_code == 401
    assert client.get("/api/v1/auth/me", headers=_bearer(desk)).status_code == 401
    assert client.post("/api/v1/auth/logout", headers=_bearer(phone)).status_code == 401
    # Signing in again works and gives a token that opens the API.
    fresh = api_sign_in(client, "leaving-chief").json()["access_token"]
    assert client.get("/api/v1/auth/me", headers=_bearer(fresh)).status_code == 200


def test_sign_out_from_a_page_clears_the_cookie_and_the_page_asks_to_sign_in_again(client, make_user):
    make_user("chief", username="page-leaver")
    assert sign_in_by_form(client, "page-leaver").status_code == 303
    assert client.get("/maps/heatmap", follow_redirects=False).status_code == 200
    stolen_cookie = client.cookies.get("ecogrid_token")

    r = client.post("/api/v1/auth/logout")
    assert r.status_code == 204
    cleared = next(c for c in r.headers.get_list("set-cookie") if c.startswith("ecogrid_token="))
    assert "Max-Age=0" in cleared
    assert client.get("/maps/heatmap", follow_redirects=False).status_code == 303
    # A copy of the old cookie is worth nothing either.
    client.cookies.set("ecogrid_token", stolen_cookie)
    r = client.get("/maps/heatmap", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/signin?")


def test_deactivating_a_user_revokes_its_tokens_for_good(client, db, make_user):
    make_user("planner", username="moved-away")
    token = api_sign_in(client, "moved-away").json()["access_token"]
    user_service.deactivate(db, username="moved-away")
    assert client.get("/api/v1/auth/me", headers=_bearer(token)).status_code == 401
    assert api_sign_in(client, "moved-away").status_code == 401
    user_service.get_by_username(db, username="moved-away").active = True
    db.flush()
    assert client.get("/api/v1/auth/me", headers=_bearer(token)).status_code == 401
