"""Password guessing: throttled per user name and per client address (in the database, so across
processes), every attempt recorded and logged, and an unknown name costs a password hash like a real one."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select, update

from ecogrid.core.models import SignInAttempt
from tests.security.sign_in_support import (
    PASSWORD,
    api_sign_in,
    client_on,
    counted_argon2_verifications,
    sign_in_by_form,
)


def _trusting_proxy(settings):
    # TestClient's requests come from the peer "testclient": a proxy that says who the client is.
    return settings.model_copy(update={"trust_proxy_headers": True, "forwarded_allow_ips": ["testclient"]})


def test_five_failures_lock_the_user_name_even_against_the_right_password(client, make_user):
    make_user("chief", username="target")
    for _ in range(5):
        assert api_sign_in(client, "target", "guess-wrong").status_code == 401
    refused = api_sign_in(client, "target", "guess-wrong")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 15 * 60
    assert api_sign_in(client, "target", PASSWORD).status_code == 429
    # Another account from the same address is not locked by this one's failures.
    make_user("clerk", username="bystander")
    assert api_sign_in(client, "bystander").status_code == 200


def test_the_lock_holds_in_another_server_process(db, engine, settings, make_user):
    make_user("chief", username="spread-out")
    with client_on(db, engine, settings) as first:
        for _ in range(5):
            assert api_sign_in(first, "spread-out", "guess-wrong").status_code == 401
    with client_on(db, engine, settings) as second:
        assert api_sign_in(second, "spread-out", PASSWORD).status_code == 429


def test_the_lock_ends_with_the_window(client, db, make_user):
    make_user("chief", username="patient")
    for _ in range(5):
        api_sign_in(client, "patient", "guess-wrong")
    assert api_sign_in(client, "patient", PASSWORD).status_code == 429
    db.execute(update(SignInAttempt).where(SignInAttempt.username == "patient")
               .values(at=SignInAttempt.at - timedelta(minutes=16)))
    assert api_sign_in(client, "patient", PASSWORD).status_code == 200


def test_a_success_starts_the_user_count_again(client, make_user):
    make_user("clerk", username="forgetful")
    for _ in range(4):
        assert api_sign_in(client, "forgetful", "typo-password").status_code == 401
    assert api_sign_in(client, "forgetful").status_code == 200
    for _ in range(4):
        assert api_sign_in(client, "forgetful", "typo-password").status_code == 401
    assert api_sign_in(client, "forgetful").status_code == 200


def test_twenty_failures_lock_the_client_address_for_every_name(db, engine, settings, make_user):
    make_user("chief", username="innocent")
    with client_on(db, engine, _trusting_proxy(settings)) as client:
        attacker = {"X-Forwarded-For": "203.0.113.7"}
        for n in range(20):
            assert api_sign_in(client, f"name{n}", "guess", **attacker).status_code == 401
        refused = api_sign_in(client, "innocent", PASSWORD, **attacker)
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        # The same user from another address is fine.
        assert api_sign_in(client, "innocent", PASSWORD, **{"X-Forwarded-For": "198.51.100.2"}).status_code == 200


def test_forwarded_for_is_ignored_unless_the_proxy_is_trusted(client, db):
    # Otherwise an attacker would name a new address on every try and never reach the client limit.
    for n in range(3):
        api_sign_in(client, f"spoof{n}", "guess", **{"X-Forwarded-For": f"192.0.2.{n}"})
    clients = set(db.scalars(select(SignInAttempt.client).where(SignInAttempt.username.like("spoof%"))))
    assert clients == {"testclient"}


def test_the_sign_in_form_is_throttled_too(client, make_user):
    make_user("chief", username="form-target")
    for _ in range(5):
        assert sign_in_by_form(client, "form-target", "guess-wrong").status_code == 401
    refused = sign_in_by_form(client, "form-target")
    assert refused.status_code == 429 and "retry-after" in refused.headers
    assert "ecogrid_token" not in client.cookies


def test_every_attempt_is_recorded_and_logged(client, db, make_user, caplog):
    make_user("clerk", username="recorded")
    with caplog.at_level(logging.INFO, logger="ecogrid.sign_in"):
        api_sign_in(client, "recorded", "wrong-one")
        api_sign_in(client, "recorded")
        api_sign_in(client, "nobody-here", "whatever")
    rows = db.execute(select(SignInAttempt.username, SignInAttempt.client, SignInAttempt.succeeded)
                      .order_by(SignInAttempt.id)).all()
    assert [tuple(r) for r in rows][-3:] == [("recorded", "testclient", False), ("recorded", "testclient", True),
                                             ("nobody-here", "testclient", False)]
    messages = [r.getMessage() for r in caplog.records if r.name == "ecogrid.sign_in"]
    assert any("failed" in m and "'recorded'" in m for m in messages)
    assert any(m.startswith("sign-in:") and "'recorded'" in m for m in messages)
    assert any("failed" in m and "'nobody-here'" in m for m in messages)


def test_an_unknown_or_inactive_name_costs_a_password_hash_like_a_wrong_password(client, db, make_user, monkeypatch):
    make_user("clerk", username="real-user")
    make_user("clerk", username="gone-user").active = False
    db.flush()
    with counted_argon2_verifications(monkeypatch) as calls:
        for name, password in (("real-user", "wrong-password"), ("no-such-user", "wrong-password"),
                               ("gone-user", PASSWORD)):
            before = calls[0]
            assert api_sign_in(client, name, password).status_code == 401
            assert calls[0] - before == 1, f"{name}: {calls[0] - before} argon2 verifications"
