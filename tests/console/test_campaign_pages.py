"""The console's campaigns: the list and a campaign's page, whose numbers are the API's progress."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from ecogrid.campaigns import rules
from ecogrid.campaigns import service as campaign_service
from ecogrid.core.time import today
from tests.casefactory import new_case
from tests.console.console_support import HOSTILE, form_token, sign_in
from tests.staffing import city_chief, person


def test_the_campaigns_page_lists_campaigns_and_shows_one_with_its_progress(client, db):
    chief = city_chief(db)
    person(db, "planner", username="campaign-planner")
    first = today() - timedelta(days=3)
    campaign = campaign_service.create(
        db, actor=campaign_service.Actor(user_id=chief.id, role="chief"),
        draft=rules.Draft(name=f"异味专项 {HOSTILE[0]}", start_date=first, end_date=first + timedelta(days=10),
                          categories=("odour",)))
    now = datetime.now(UTC)
    late = new_case(db, category="odour", status="dispatched", due_at=now - timedelta(hours=1),
                    accepted_at=now - timedelta(days=2))
    campaign_service.add_case(db, actor=campaign_service.Actor(user_id=chief.id, role="chief"),
                              campaign_id=campaign.id, case_id=late.id)
    progress = campaign_service.progress(db, campaign=campaign)

    sign_in(client, "campaign-planner")
    listed = client.get("/campaigns")
    assert listed.status_code == 200 and "专项行动" in listed.text
    assert f'href="/campaigns/{campaign.id}"' in listed.text
    assert HOSTILE[0] not in listed.text and "&lt;img src=x" in listed.text  # the name is text, not markup
    assert "script-src 'self' 'nonce-" in listed.headers["content-security-policy"]

    page = client.get(f"/campaigns/{campaign.id}")
    assert page.status_code == 200
    assert progress["figures"]["overdue"] == 1
    assert re.search(rf'id="overdue">{progress["figures"]["overdue"]}<', page.text)
    assert re.search(rf'id="in-stock">{progress["figures"]["open"]}<', page.text)
    assert f'data-case="{late.id}"' in page.text and "案件办理" in page.text
    english = client.get(f"/campaigns/{campaign.id}", params={"lang": "en"})
    assert "Target units" in english.text and "目标单位" not in english.text
    assert client.get("/campaigns/999999").status_code == 404


def test_a_chief_links_a_case_from_the_campaign_page_and_a_bad_number_is_shown_at_the_field(client, db):
    chief = city_chief(db)
    chief.username = "campaign-chief"
    db.flush()
    first = today()
    campaign = campaign_service.create(
        db, actor=campaign_service.Actor(user_id=chief.id, role="chief"),
        draft=rules.Draft(name="固废专项", start_date=first, end_date=first + timedelta(days=5),
                          categories=("solid_waste",)))
    waste = new_case(db, category="solid_waste")
    odour = new_case(db, category="odour")
    sign_in(client, "campaign-chief")
    page = client.get(f"/campaigns/{campaign.id}")
    token = form_token(page.text)
    r = client.post(f"/campaigns/{campaign.id}/cases", data={"csrf": token, "case_id": str(waste.id)},
                    follow_redirects=False)
    assert r.status_code == 303
    assert campaign_service.lists_of(db, campaign_id=campaign.id)["case_ids"] == [waste.id]
    refused = client.post(f"/campaigns/{campaign.id}/cases", data={"csrf": token, "case_id": str(odour.id)})
    assert refused.status_code == 422 and 'data-field="case_id"' in refused.text
    assert client.post(f"/campaigns/{campaign.id}/cases", data={"csrf": token, "case_id": "abc"}).status_code == 422
    assert client.post(f"/campaigns/{campaign.id}/cases", data={"case_id": str(odour.id)}).status_code == 403
    gone = client.post(f"/campaigns/{campaign.id}/cases/{waste.id}/remove", data={"csrf": token},
                       follow_redirects=False)
    assert gone.status_code == 303 and campaign_service.lists_of(db, campaign_id=campaign.id)["case_ids"] == []
