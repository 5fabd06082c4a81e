"""Webhooks for integrators (admin): subscribe a URL to case events, pause, remove, read the delivery log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from api.deps import DbSession, Principal, require_roles
from api.openapi_responses import errors
from api.params import Id
from ecogrid.core.models import Webhook
from ecogrid.webhooks import service
from ecogrid.webhooks.schemas import (
    DeliveryList,
    DeliveryRead,
    WebhookCreate,
    WebhookCreated,
    WebhookPatch,
    WebhookRead,
)

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])

Admin = Annotated[Principal, Depends(require_roles("admin"))]


def _read(session: DbSession, hook: Webhook) -> WebhookRead:
    body = WebhookRead.model_validate(hook)
    body.pending = service.undelivered_for(session, hook.id)
    return body


@router.post("", status_code=201, response_model=WebhookCreated, operation_id="create_webhook")
def create_webhook(body: WebhookCreate, session: DbSession, principal: Admin) -> WebhookCreated:
    """Deliveries are POSTs of JSON signed with the returned secret (``X-Ecogrid-Signature: t=..,v1=..``,
    HMAC-SHA256 of ``"<t>." + body``), retried with backoff until the endpoint answers 2xx."""
    hook = service.register(session, url=body.url, events=body.events, description=body.description,
                            actor_id=principal.user_id)
    session.commit()
    return WebhookCreated(**WebhookRead.model_validate(hook).model_dump(), secret=hook.secret)


@router.get("", response_model=list[WebhookRead], operation_id="list_webhooks")
def list_webhooks(session: DbSession, _: Admin) -> list[WebhookRead]:
    return [_read(session, hook) for hook in service.list_webhooks(session)]


@router.get("/{webhook_id}", response_model=WebhookRead, operation_id="read_webhook", responses=errors(404))
def read_webhook(webhook_id: Id, session: DbSession, _: Admin) -> WebhookRead:
    return _read(session, service.get(session, webhook_id))


@router.patch("/{webhook_id}", response_model=WebhookRead, operation_id="update_webhook", responses=errors(404))
def update_webhook(webhook_id: Id, body: WebhookPatch, session: DbSession, _: Admin) -> WebhookRead:
    hook = service.set_active(session, webhook_id, body.active)
    session.commit()
    return _read(session, hook)


@router.delete("/{webhook_id}", status_code=204, operation_id="delete_webhook", responses=errors(404))
def delete_webhook(webhook_id: Id, session: DbSession, _: Admin) -> Response:
    service.remove(session, webhook_id)
    session.commit()
    return Response(status_code=204)


@router.get("/{webhook_id}/deliveries", response_model=DeliveryList, operation_id="list_webhook_deliveries",
            responses=errors(404))
def list_deliveries(webhook_id: Id, session: DbSession, _: Admin,
                    limit: Annotated[int, Query(ge=1, le=500)] = 100) -> DeliveryList:
    rows = service.deliveries(session, webhook_id, limit=limit)
    return DeliveryList(items=[DeliveryRead(
        id=d.id, outbox_id=o.id, event=o.event, case_id=o.case_id, at=d.at, attempt=d.attempt,
        status_code=d.status_code, error=d.error, duration_ms=d.duration_ms, delivered=o.delivered_at is not None,
        dead=o.dead) for d, o in rows])
