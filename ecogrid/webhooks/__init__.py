"""Webhooks: integrators subscribe a URL to case events; the database queues them in the step's own transaction
(a trigger on case_events fills the outbox) and a dispatcher delivers them, signed, with retries and a log."""
