"""Request and response shapes of leader ownership (领导包案) and the backlog ledger (信访积案)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from api.params import Id
from api.read_types import Timestamp
from ecogrid.cases.schemas import NOTE_MAX, CaseSummary


class OwnerAssign(BaseModel):
    """包案: the leader (an active chief or admin) who owns the case to the end."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"user_id": 3}})
    user_id: Id = Field(description="an active chief or admin")


class OwnedCase(CaseSummary):
    owner_name: str | None


class BacklogCreate(BaseModel):
    """Put the case on the backlog ledger (信访积案), or change its reason, owner or focus: a chief's decision."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {
        "reason": "三年来反复投诉，需区领导包案", "owner_id": 3, "focused": True}})
    reason: str = Field(min_length=1, max_length=NOTE_MAX, description="why the case is on the ledger")
    owner_id: Id | None = Field(default=None, description="the owning leader (an active chief or admin); "
                                                          "unchanged when left out")
    focused: bool | None = Field(default=None, description="in a focused drive (集中攻坚); unchanged when left out")


class BacklogLeave(BaseModel):
    """Take the case off the backlog ledger: a chief's decision with its reason."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"reason": "已彻底整改，连续三月无投诉"}})
    reason: str = Field(min_length=1, max_length=NOTE_MAX)


class BacklogItem(OwnedCase):
    complaints: int = Field(description="complaints on the case (the first and its repeats)")
    chronic: bool = Field(description="a chronic repeat: at least the threshold of complaints (5)")
    decided: bool = Field(description="a decision was recorded (listed or left); without one a chronic repeat "
                                      "is listed by the rule")
    on_backlog: bool
    backlog_reason: str | None = Field(description="the reason of the last decision")
    focused: bool = Field(description="in a focused drive (集中攻坚)")
    backlog_at: Timestamp | None = Field(description="when the last decision was taken")


class BacklogList(BaseModel):
    items: list[BacklogItem]
    total: int = Field(description="cases on the ledger before paging")
