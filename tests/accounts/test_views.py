from __future__ import annotations


def test_sign_in_returns_a_token_that_opens_the_api(client, make_user):
    make_user("chief", username="wang", password="s3cret-pass")
    resp = client.post("/api/v1/auth/token", data={"username": "wang", "password": "s3cret-pass"})
    assert resp.status_code == 200
    token = resp.json()["access_token"]
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["name"] == "wang" and me.json()["role"] == "chief"


def test_wrong_password_is_401(client, make_user):
    make_user("clerk", username="li", password="right-password")
    resp = client.post("/api/v1/auth/token", data={"username": "li", "password": "wrong-password"})
    assert resp.status_code == 401


def test_no_token_is_401(client):
    resp = client.get("/api/v1/users")
    assert resp.status_code == 401
    assert resp.headers["www-authenticate"] == "Bearer"


def test_forged_token_is_401(client):
    resp = client.get("/api/v1/users", headers={"Authorization": "Bearer not.a.token"})
    assert resp.status_code == 401


def test_wrong_role_is_403_and_right_role_is_200(client, auth):
    assert client.get("/api/v1/users", headers=auth("inspector")).status_code == 403
    resp = client.get("/api/v1/users", headers=auth("chief"))
    assert resp.status_code == 200
    assert {u["role"] for u in resp.json()} >= {"inspector", "chief"}


def test_admin_passes_every_role_check(client, auth):
    assert client.get("/api/v1/users", headers=auth("admin")).status_code == 200


def test_passwords_are_stored_as_argon2_hashes(make_user):
    user = make_user("clerk", password="plain-text-never")
    assert user.password_hash.startswith("$argon2")
    assert "plain-text-never" not in user.password_hash


def test_api_key_acts_in_its_role(client, db):
    from ecogrid.accounts import service as users

    _, key = users.create_api_key(db, name="hotline", role="clerk")
    me = client.get("/api/v1/auth/me", headers={"X-API-Key": key})
    assert me.status_code == 200 and me.json()["role"] == "clerk"
    assert client.get("/api/v1/auth/me", headers={"X-API-Key": key + "x"}).status_code == 401
