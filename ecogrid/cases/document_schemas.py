"""Bodies and answers of the case documents (文书; rules in ``ecogrid.cases.documents``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from api.read_types import Timestamp
from ecogrid.cases.documents import Kind


class DocumentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "kind": "rectification_notice", "client_id": "3f1c9a6e-notice-1"}]})

    kind: Kind = Field(description="rectification_notice (整改提示函) or reply_letter (信访答复意见书)")
    client_id: str | None = Field(default=None, min_length=1, max_length=64,
                                  description="the caller's id of this request: sent again, the stored document")


class DocumentRead(BaseModel):
    id: int
    case_id: int
    kind: Kind
    title: str
    number: str = Field(description="文号, e.g. 〔2026〕整改第 0001 号: one sequence per kind and year")
    issued_at: Timestamp
    issued_by_id: int | None
    url: str = Field(description="the printable page")
    voided: bool = Field(description="作废: withdrawn; the number stays taken and the page is stamped void")
    voided_at: Timestamp | None
    voided_by_id: int | None
    void_reason: str | None


class DocumentVoid(BaseModel):
    model_config = ConfigDict(extra="forbid",
                              json_schema_extra={"examples": [{"reason": "整改期限填写错误，已重新签发"}]})

    reason: str = Field(min_length=1, max_length=500, description="why the document is void (kept with it)")


class DocumentList(BaseModel):
    items: list[DocumentRead]
    total: int
