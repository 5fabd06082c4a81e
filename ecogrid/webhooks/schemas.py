"""The webhook API's bodies and answers."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.read_types import Timestamp

Event = Literal["case.registered", "case.accepted", "case.rejected", "case.dispatched", "case.replied",
                "case.closed", "case.reopened", "case.red", "case.overdue", "case.returned", "case.transferred"]


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "url": "https://hotline.example.gov.cn/ecogrid/events", "events": ["case.dispatched", "case.closed"],
        "description": "12345 平台回传"}]})

    url: str = Field(min_length=8, max_length=2000, description="absolute http(s) URL receiving POSTs")
    events: list[Event] = Field(min_length=1, max_length=11)
    description: str | None = Field(default=None, max_length=200)


class WebhookPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    active: bool


class WebhookRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    url: str
    events: list[str]
    description: str | None
    active: bool
    created_at: Timestamp
    pending: int = Field(default=0, description="events queued for it and not delivered yet")


class WebhookCreated(WebhookRead):
    secret: str = Field(description="signs every delivery (X-Ecogrid-Signature); shown this once only")


class DeliveryRead(BaseModel):
    id: int
    outbox_id: int
    event: str
    case_id: int
    at: Timestamp
    attempt: int
    status_code: int | None
    error: str | None
    duration_ms: int
    delivered: bool
    dead: bool


class DeliveryList(BaseModel):
    items: list[DeliveryRead]
