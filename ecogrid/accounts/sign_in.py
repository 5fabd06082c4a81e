"""Signing in with a password: throttled per user name and per client address, every attempt kept.

Failures are counted in ``sign_in_attempts`` (not in process memory) so that the limits hold
however many server processes answer. Within ``sign_in_window_minutes``:

- a user name is refused after ``sign_in_max_failures_per_user`` failures since its last success
  (guessing one account's password);
- a client address is refused after ``sign_in_max_failures_per_client`` failures, successes or
  not (one address trying many names).

A refused attempt is answered before the password is looked at, so the right password does not get
through while throttled, and it is not stored as a failure: the lock ends when the window says so
instead of being prolonged by the attacker. Attempts of one user name are serialised by an advisory
lock so that parallel guesses cannot all pass the count before any is written.
"""

from __future__ import annotations

import logging
import math
from datetime import timedelta

from sqlalchemy import ColumnElement, func, select, text
from sqlalchemy.orm import Session

from ecogrid.accounts import service as user_service
from ecogrid.core.errors import NotAuthenticated, TooManyAttempts
from ecogrid.core.models import SignInAttempt, User
from ecogrid.core.settings import Settings

log = logging.getLogger("ecogrid.sign_in")

# The width of the text columns of sign_in_attempts.
MAX_STORED = 64


def sign_in(session: Session, *, settings: Settings, username: str, password: str, client: str) -> User:
    """The user, if allowed to try now and the password is right; commits the attempt either way."""
    name, client = username[:MAX_STORED], client[:MAX_STORED]
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"sign-in:{name}"})
    window = timedelta(minutes=settings.sign_in_window_minutes)
    since_success = select(func.coalesce(func.max(SignInAttempt.id), 0)).where(
        SignInAttempt.username == name, SignInAttempt.succeeded.is_(True)).scalar_subquery()
    limits = (
        ("user name", (SignInAttempt.username == name) & (SignInAttempt.id > since_success),
         settings.sign_in_max_failures_per_user),
        ("client address", SignInAttempt.client == client, settings.sign_in_max_failures_per_client),
    )
    for what, condition, limit in limits:
        wait_s = _throttled_for(session, condition=condition, limit=limit, window=window)
        if wait_s is not None:
            log.warning("sign-in throttled (%s): user=%r client=%r retry_after=%ds", what, name, client, wait_s)
            raise TooManyAttempts(f"too many failed sign-ins for this {what}; try again in {wait_s} s",
                                  retry_after_s=wait_s)
    try:
        user = user_service.authenticate(session, username=username, password=password)
    except NotAuthenticated:
        _record(session, username=name, client=client, succeeded=False)
        log.warning("sign-in failed: user=%r client=%r", name, client)
        raise
    _record(session, username=name, client=client, succeeded=True)
    log.info("sign-in: user=%r client=%r", name, client)
    return user


def _throttled_for(session: Session, *, condition: ColumnElement[bool], limit: int,
                   window: timedelta) -> int | None:
    """Seconds until fewer than ``limit`` failures matching ``condition`` lie within the window, or None."""
    recent = (select(SignInAttempt.at)
              .where(condition, SignInAttempt.succeeded.is_(False), SignInAttempt.at > func.now() - window)
              .order_by(SignInAttempt.id.desc()).limit(limit).subquery())
    count, remaining = session.execute(
        select(func.count(), func.min(recent.c.at) + window - func.now()).select_from(recent)).one()
    if count < limit:
        return None
    return max(1, math.ceil(remaining.total_seconds()))


def _record(session: Session, *, username: str, client: str, succeeded: bool) -> None:
    session.add(SignInAttempt(username=username, client=client, succeeded=succeeded))
    session.commit()
