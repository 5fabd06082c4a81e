"""Domain errors. Domain code raises these; the API maps each class to one status code (api/errors.py)."""

from __future__ import annotations

from dataclasses import dataclass


class DomainError(Exception):
    """Base class; ``field`` names the offending input where there is one."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    pass


class InvalidInput(DomainError):
    pass


class Conflict(DomainError):
    """The request contradicts the current state (an illegal transition, a duplicate)."""


class NotAuthenticated(DomainError):
    pass


class Forbidden(DomainError):
    pass


class TooManyAttempts(DomainError):
    """Refused for now (throttled); ``retry_after_s`` says when to try again."""

    def __init__(self, message: str, *, retry_after_s: int, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.retry_after_s = retry_after_s


@dataclass
class RowError:
    """One problem of a refused row of a file import: reported (row number, field, reason, the value as
    the file holds it), never stored. A row with several problems has one RowError for each."""

    row: int
    field: str
    reason: str
    value: str = ""
