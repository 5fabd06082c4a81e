"""The answer of a file import over HTTP: the same figures and error report as the command prints."""

from __future__ import annotations

from pydantic import BaseModel


class ImportProblem(BaseModel):
    row: int
    field: str
    value: str
    reason: str


class RefusalCount(BaseModel):
    field: str
    reason: str
    rows: int


class ImportReportRead(BaseModel):
    checked: bool  # a dry run: nothing was stored
    rows: int
    stored: int  # or would be, in a dry run
    new_cases: int
    repeats: int
    reopened: int = 0  # closed cases a repeat reopened (返工)
    out_of_jurisdiction: int
    duplicates: int  # already stored, or repeated in the file
    skipped: int  # mapped to null: not the bureau's business
    refused: int
    refused_by_reason: list[RefusalCount]
    unmapped: dict[str, dict[str, int]]  # field -> export's value -> rows
    errors: list[ImportProblem]  # every problem of every refused row
