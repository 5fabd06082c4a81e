"""How a delivery is signed: ``X-Ecogrid-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`` of
``"<t>." + body`` under the webhook's secret. The receiver recomputes it, compares in constant time and refuses
a ``t`` too far from its clock (a replayed delivery)."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Ecogrid-Signature"


def signature(secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, body: bytes, header: str, *, now: int, tolerance_s: int = 300) -> bool:
    """What a receiver does (and what the tests do as one)."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance_s:
        return False
    return hmac.compare_digest(signature(secret, body, timestamp), header)
