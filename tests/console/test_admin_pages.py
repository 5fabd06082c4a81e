from __future__ import annotations

from ecogrid.accounts import service as user_service
from ecogrid.core.models import Zone
from tests.console.console_support import HOSTILE, form_token, sign_in
from tests.staffing import person, zone


def test_an_admin_creates_a_user_and_a_key_and_sets_a_zones_officer(client, db):
    person(db, "admin", username="console-admin")
    chief = person(db, "chief")
    street = zone(db, level="street")
    sign_in(client, "console-admin")
    page = client.get("/admin")
    assert page.status_code == 200
    token = form_token(page.text)
    short = client.post("/admin/users", data={"csrf": token, "username": "new-clerk", "role": "clerk",
                                              "password": "short"})
    assert short.status_code == 422 and 'data-field="password"' in short.text
    ok = client.post("/admin/users", data={"csrf": token, "username": "new-clerk", "role": "clerk",
                                           "full_name": HOSTILE[0], "password": "long-enough-1"},
                     follow_redirects=False)
    assert ok.status_code == 303
    assert user_service.get_by_username(db, username="new-clerk").full_name == HOSTILE[0]
    assert "&lt;img src=x onerror=alert(1)&gt;" in client.get("/admin").text
    key = client.post("/admin/keys", data={"csrf": token, "name": "hotline", "role": "clerk"})
    assert key.status_code == 201 and 'id="new-key"' in key.text
    r = client.post(f"/admin/zones/{street.code}", data={"csrf": token, "officer_id": str(chief.id),
                                                           "noise_class": "2"}, follow_redirects=False)
    assert r.status_code == 303
    db.expire_all()
    assert db.get(Zone, street.id).officer_id == chief.id and db.get(Zone, street.id).noise_class == "2"
    bad = client.post(f"/admin/zones/{street.code}", data={"csrf": token, "noise_class": "9"})
    assert bad.status_code == 422 and f'data-field="{street.code}:noise_class"' in bad.text


def test_only_an_admin_opens_the_admin_pages(client, db):
    person(db, "chief", username="not-admin")
    sign_in(client, "not-admin")
    assert client.get("/admin").status_code == 403
    assert client.get("/admin/zones").status_code == 403
