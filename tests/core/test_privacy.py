from __future__ import annotations

from sqlalchemy import select

from ecogrid.core import privacy
from ecogrid.core.models import AuditEntry


def test_phone_and_name_masks():
    assert privacy.mask_phone("13812341234") == "138****1234"
    assert privacy.mask_name("王小明") == "王**"
    assert privacy.mask_phone(None) is None


def test_only_clerk_chief_admin_see_personal_data():
    assert {r for r in ("admin", "chief", "planner", "inspector", "clerk") if privacy.may_see_personal_data(r)} == {
        "admin", "chief", "clerk"}


def test_an_unmasked_read_is_audited(db, make_user):
    user = make_user("clerk")
    privacy.log_personal_read(db, actor_id=user.id, actor_name=user.username, entity="complaint", entity_ids=[7])
    db.flush()
    entry = db.scalars(select(AuditEntry).where(AuditEntry.actor_id == user.id)).one()
    assert entry.entity == "complaint" and entry.entity_id == "7" and entry.action == "personal_data.read"
