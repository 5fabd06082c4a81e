"""Subscriptions, the overdue sweep and delivery of the outbox.

An event is owed when its workflow step commits: the trigger of migration 0006 writes one outbox row per
subscribed webhook inside the step's transaction (never for a step that rolls back). Overdue is not a step, so
``sweep_overdue`` finds cases that became overdue (the rule of ``ecogrid.cases.rules``) and queues each once.
Delivery is off every request path: ``claim`` leases due rows (``FOR UPDATE SKIP LOCKED``, so any number of
dispatchers share the work), ``deliver`` POSTs the signed body and records the attempt; a failure is retried
with exponential backoff until ``webhook_max_attempts``, then the row is marked dead. Each outbox row keeps the
body of its first attempt, so a retry sends the same bytes (receivers dedupe on ``X-Ecogrid-Delivery``).
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import and_, exists, func, insert, literal, select, text, true, update
from sqlalchemy.orm import Session

from ecogrid.cases import rules
from ecogrid.core.errors import InvalidInput, NotFound
from ecogrid.core.models import (
    Case,
    CaseEvent,
    Webhook,
    WebhookCaseMark,
    WebhookDelivery,
    WebhookOutboxItem,
    Zone,
)
from ecogrid.core.settings import Settings
from ecogrid.core.time import rfc3339
from ecogrid.webhooks.signing import SIGNATURE_HEADER, signature

# What a subscription may ask for; the trigger maps workflow steps to all but ``case.overdue`` (the sweep's).
# Work that left the bureau: ``case.returned`` (退单), ``case.transferred`` (转办 and 移交公安, migration 0015).
EVENTS = ("case.registered", "case.accepted", "case.rejected", "case.dispatched", "case.replied", "case.closed",
          "case.reopened", "case.red", "case.overdue", "case.returned", "case.transferred")
OVERDUE = "case.overdue"
# One dispatcher at a time runs the sweep (other dispatchers skip it); any number deliver.
SWEEP_LOCK = 0x5EB600C
USER_AGENT = "ecogrid-webhooks/1"


@dataclass(frozen=True)
class Attempt:
    outbox_id: int
    delivered: bool
    status_code: int | None
    error: str | None


def _check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("url must be an absolute http or https URL", field="url")
    return url


def _check_events(events: Sequence[str]) -> list[str]:
    unknown = sorted(set(events) - set(EVENTS))
    if not events or unknown:
        raise InvalidInput(f"events must be some of {', '.join(EVENTS)}" + (f"; not {', '.join(unknown)}"
                                                                               if unknown else ""), field="events")
    return sorted(set(events), key=EVENTS.index)


def register(session: Session, *, url: str, events: Sequence[str], description: str | None,
             actor_id: int | None) -> Webhook:
    """A new active subscription with a fresh secret (shown to the admin once, in the creation answer)."""
    hook = Webhook(url=_check_url(url), events=_check_events(events), description=description,
                   secret=secrets.token_urlsafe(32), created_by_id=actor_id, active=True)
    session.add(hook)
    session.flush()
    return hook


def get(session: Session, webhook_id: int) -> Webhook:
    hook = session.get(Webhook, webhook_id)
    if hook is None:
        raise NotFound(f"webhook {webhook_id} not found")
    return hook


def list_webhooks(session: Session) -> list[Webhook]:
    return list(session.scalars(select(Webhook).order_by(Webhook.id)))


def set_active(session: Session, webhook_id: int, active: bool) -> Webhook:
    """A paused webhook queues nothing new; what is queued stays and goes out once it is active again."""
    hook = get(session, webhook_id)
    hook.active = active
    session.flush()
    return hook


def remove(session: Session, webhook_id: int) -> None:
    session.delete(get(session, webhook_id))
    session.flush()


def deliveries(session: Session, webhook_id: int, *, limit: int) -> list[tuple[WebhookDelivery, WebhookOutboxItem]]:
    get(session, webhook_id)
    rows = session.execute(select(WebhookDelivery, WebhookOutboxItem)
                           .join(WebhookOutboxItem, WebhookOutboxItem.id == WebhookDelivery.outbox_id)
                           .where(WebhookDelivery.webhook_id == webhook_id)
                           .order_by(WebhookDelivery.id.desc()).limit(limit))
    return [(d, o) for d, o in rows]


def pending_count(session: Session) -> int:
    """Outbox rows still owed (the queue depth an operator watches)."""
    return int(session.scalar(select(func.count()).select_from(WebhookOutboxItem).where(
        WebhookOutboxItem.delivered_at.is_(None), WebhookOutboxItem.dead.is_(False))) or 0)


# ---------------------------------------------------------------- the sweep


def sweep_overdue(session: Session, *, now: datetime) -> int:
    """Queue ``case.overdue`` once for every case overdue now that was not announced before; how many cases."""
    if not session.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": SWEEP_LOCK}):
        return 0
    subscribed = select(Webhook.id).where(Webhook.active, Webhook.events.any_() == OVERDUE)
    if session.scalar(select(exists(subscribed))) is not True:
        return 0
    newly = select(Case.id, literal(OVERDUE)).where(
        rules.overdue_sql(now),
        ~exists().where(WebhookCaseMark.case_id == Case.id, WebhookCaseMark.event == OVERDUE))
    marked = session.scalars(insert(WebhookCaseMark).from_select(["case_id", "event"], newly)
                             .returning(WebhookCaseMark.case_id)).all()
    if marked:
        hooks = select(Webhook.id).where(Webhook.active, Webhook.events.any_() == OVERDUE).subquery()
        # Every subscribed hook owes every newly overdue case: a deliberate cross join.
        owed = (select(hooks.c.id, literal(OVERDUE), Case.id, Case.due_at)
                .select_from(hooks).join(Case, true()).where(Case.id.in_(marked)))
        session.execute(insert(WebhookOutboxItem).from_select(
            ["webhook_id", "event", "case_id", "occurred_at"], owed))
    return len(marked)


# ---------------------------------------------------------------- delivery


def claim(session: Session, *, now: datetime, limit: int, lease: timedelta) -> list[int]:
    """Lease up to ``limit`` due rows (oldest first) to this dispatcher; others skip them until the lease ends."""
    due = (select(WebhookOutboxItem.id)
           .where(WebhookOutboxItem.delivered_at.is_(None), WebhookOutboxItem.dead.is_(False),
                  WebhookOutboxItem.next_attempt_at <= now)
           .order_by(WebhookOutboxItem.next_attempt_at, WebhookOutboxItem.id)
           .limit(limit).with_for_update(skip_locked=True))
    ids = session.scalars(update(WebhookOutboxItem).where(WebhookOutboxItem.id.in_(due.scalar_subquery()))
                          .values(next_attempt_at=now + lease).returning(WebhookOutboxItem.id)).all()
    return sorted(ids)


def payload_of(session: Session, item: WebhookOutboxItem) -> dict[str, Any]:
    """The event as integrators receive it: the case's identity and the step, never complainants' data."""
    case = session.get(Case, item.case_id)
    step = session.get(CaseEvent, item.case_event_id) if item.case_event_id is not None else None
    zone = session.get(Zone, case.zone_id) if case is not None and case.zone_id is not None else None
    body: dict[str, Any] = {"event": item.event, "delivery_id": item.id, "occurred_at": rfc3339(item.occurred_at),
                            "case": None}
    if case is not None:
        body["case"] = {"id": case.id, "status": step.to_status if step else case.status,
                        "from_status": step.from_status if step else None, "category": case.category,
                        "kind": case.kind, "channel": case.channel, "urgency": case.urgency,
                        "zone": zone.code if zone else None, "opened_at": rfc3339(case.opened_at),
                        "due_at": rfc3339(case.due_at)}
    if step is not None:
        body["action"] = step.action
        body.update(_where_it_went(step))
    return body


def _where_it_went(step: CaseEvent) -> dict[str, Any]:
    """For work that left: the return's reason code, or the department a transfer or handover went to (the
    step's own record, as it was then); nothing for any other step."""
    data = step.data or {}
    if step.action in rules.RETURNING_ACTIONS:
        return {"return_reason": data.get("reason")}
    if step.action in rules.TRANSFERRING_ACTIONS:
        return {"department": {"id": data.get("department_id"), "name": data.get("department"),
                               "kind": data.get("kind")}}
    return {}


def backoff(attempts: int, settings: Settings) -> timedelta:
    """Wait after the ``attempts``-th failure: doubling from webhook_retry_base_s, capped at webhook_retry_max_s."""
    seconds = settings.webhook_retry_base_s * (2 ** max(0, attempts - 1))
    return timedelta(seconds=min(seconds, settings.webhook_retry_max_s))


def deliver(session: Session, item_id: int, *, client: httpx.Client, settings: Settings,
            now: datetime) -> Attempt:
    """One attempt for one leased row: POST, record it, and mark delivered, due again later, or dead."""
    item = session.get(WebhookOutboxItem, item_id)
    hook = session.get(Webhook, item.webhook_id) if item is not None else None
    if item is None or hook is None:
        return Attempt(item_id, False, None, "gone")
    if item.payload is None:
        item.payload = payload_of(session, item)
    # Sorted keys: the stored payload (jsonb keeps no key order) gives the same bytes on every attempt.
    body = json.dumps(item.payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT,
               "X-Ecogrid-Event": item.event, "X-Ecogrid-Delivery": str(item.id),
               SIGNATURE_HEADER: signature(hook.secret, body, int(time.time()))}
    started = time.perf_counter()
    status_code: int | None = None
    error: str | None = None
    try:
        answer = client.post(hook.url, content=body, headers=headers)
        status_code = answer.status_code
        if not 200 <= status_code < 300:
            error = f"HTTP {status_code}"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    took = int((time.perf_counter() - started) * 1000)
    item.attempts += 1
    session.add(WebhookDelivery(outbox_id=item.id, webhook_id=hook.id, attempt=item.attempts,
                                status_code=status_code, error=error, duration_ms=took))
    if error is None:
        item.delivered_at, item.last_error = now, None
    else:
        item.last_error = error
        item.dead = item.attempts >= settings.webhook_max_attempts
        item.next_attempt_at = now + backoff(item.attempts, settings)
    session.flush()
    return Attempt(item.id, error is None, status_code, error)


def outbox_of(session: Session, webhook_id: int) -> list[WebhookOutboxItem]:
    return list(session.scalars(select(WebhookOutboxItem).where(WebhookOutboxItem.webhook_id == webhook_id)
                                .order_by(WebhookOutboxItem.id)))


def undelivered_for(session: Session, webhook_id: int) -> int:
    return int(session.scalar(select(func.count()).select_from(WebhookOutboxItem).where(and_(
        WebhookOutboxItem.webhook_id == webhook_id, WebhookOutboxItem.delivered_at.is_(None)))) or 0)
