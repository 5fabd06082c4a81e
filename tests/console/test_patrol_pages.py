from __future__ import annotations

import re

from sqlalchemy import select

from ecogrid.core.models import PatrolPlan, PatrolTarget
from tests.console.console_support import HOSTILE, form_token, sign_in
from tests.patrols.test_views import add_units
from tests.staffing import person


def test_the_planner_draws_and_the_chief_approves_then_a_route_goes_to_the_phones(client, db):
    units = add_units(db, key=3, ordinary=6)
    units[0].name = HOSTILE[0]
    inspectors = [person(db, "inspector") for _ in range(4)]
    person(db, "planner", username="patrol-planner")
    person(db, "chief", username="patrol-chief")
    sign_in(client, "patrol-planner")
    page = client.get("/patrols")
    assert page.status_code == 200 and 'id="draw-form"' in page.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in page.text
    bad = client.post("/patrols/draws", data={"csrf": form_token(page.text), "seed": "many"})
    assert bad.status_code == 422 and 'data-field="seed"' in bad.text
    r = client.post("/patrols/draws", data={"csrf": form_token(page.text), "seed": "42", "rate_key": "1",
                                            "rate_ordinary": "0.5"}, follow_redirects=False)
    assert r.status_code == 303
    draw_id = int(r.headers["location"].rsplit("/", 1)[1])
    shown = client.get(f"/patrols/draws/{draw_id}")
    assert 'data-match="yes"' in shown.text and 'id="approve"' not in shown.text
    client.cookies.clear()
    sign_in(client, "patrol-chief")
    shown = client.get(f"/patrols/draws/{draw_id}")
    assert 'id="approve"' in shown.text and 'id="draw-form"' not in client.get("/patrols").text
    assert client.post(f"/patrols/draws/{draw_id}/approve", data={"csrf": form_token(shown.text)},
                       follow_redirects=False).status_code == 303
    assert db.get(PatrolPlan, draw_id).status == "approved"
    approved = client.get(f"/patrols/draws/{draw_id}")
    assert 'id="publication"' in approved.text
    route = client.post("/patrols/routes", data={"csrf": form_token(approved.text), "draw_id": str(draw_id),
                                                 "date": "2026-12-03", "inspector_ids": [str(inspectors[0].id)]},
                        follow_redirects=False)
    assert route.status_code == 303 and route.headers["location"].startswith("/maps/routes/")
    route_id = int(route.headers["location"].rsplit("/", 1)[1])
    stops = db.scalars(select(PatrolTarget).where(PatrolTarget.plan_id == route_id)).all()
    assert stops and all(s.inspector_ids == [inspectors[0].id] for s in stops)
    assert re.search(rf'data-route="{route_id}"', client.get("/patrols").text)
    assert client.get(f"/patrols/routes/{route_id}.csv").status_code == 200
