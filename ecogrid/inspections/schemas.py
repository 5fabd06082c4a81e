"""Request and response shapes of the inspector's API: tasks, inspections with readings, photos."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.params import Id, Moment
from api.read_types import Point, Timestamp

Conclusion = Literal["problem_confirmed", "not_confirmed", "source_identified"]


class ReadingCreate(BaseModel):
    client_id: str | None = Field(default=None, max_length=64,
                                  description="the phone's id of the reading: a retry stores it once")
    parameter: str = Field(max_length=32, description="a code of GET /api/v1/inspections/vocabulary")
    value: float
    unit: str | None = Field(default=None, max_length=16)
    measured_at: Moment = Field(description="RFC 3339; a time without an offset is Beijing time")
    instrument: str | None = Field(default=None, max_length=128)
    background: float | None = Field(default=None, description="the background value, for noise")
    noise_point: Literal["boundary", "environment"] | None = Field(
        default=None, description="where a noise reading was taken: the emitter's boundary or the environment")


class InspectionCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {
        "case_id": 14, "client_id": "3f1c9a6e-visit-1", "findings": "厂区东侧喷漆房门窗未关闭，有明显异味",
        "lon": 120.4311, "lat": 36.1021, "started_at": "2026-05-01T09:30:00+08:00",
        "conclusion": "problem_confirmed",
        "readings": [{"client_id": "3f1c9a6e-r1", "parameter": "noise_laeq", "value": 62.5, "unit": "dB(A)",
                      "measured_at": "2026-05-01T09:40:00+08:00"}]}})

    case_id: Id | None = Field(default=None, description="the complaint case visited; or give patrol_target_id")
    patrol_target_id: Id | None = Field(default=None, description="the drawn unit or route stop visited")
    client_id: str = Field(max_length=64, description="the phone's id of the visit: a retry stores it once")
    findings: str | None = Field(default=None, max_length=20_000)
    lon: float | None = None
    lat: float | None = None
    started_at: Moment | None = None
    conclusion: Conclusion | None = None
    source_id: Id | None = None
    readings: list[ReadingCreate] = Field(default_factory=list, max_length=200)
    campaign_id: Id | None = Field(default=None, description="the special campaign (专项行动) the visit is made "
                                                             "for, if any (GET /api/v1/campaigns)")


class TaskItem(BaseModel):
    case_id: int
    category: str
    status: str
    urgency: str
    due_at: Timestamp | None
    opened_at: Timestamp
    repeat_count: int
    exceedance: bool
    zone: str | None = Field(description="the zone's name")
    location: Point | None
    distance_m: float | None = Field(description="from the position given (lon, lat), in metres")


class TaskList(BaseModel):
    items: list[TaskItem]
    total: int


class TaskZone(BaseModel):
    id: int
    code: str
    name: str
    noise_class: str | None


class TaskComplaint(BaseModel):
    """What was reported and when; never who reported it."""

    id: int
    received_at: Timestamp
    channel: str
    category: str
    description: str


class TaskSuspect(BaseModel):
    source_id: int
    name: str
    industry: str
    distance_m: float
    score: float
    explanation: list[str]
    explanation_en: list[str]
    location: Point | None


class SiteAddress(BaseModel):
    text: str
    of: str = Field(description="whose address it is")
    basis: str = Field(description="confirmed_source, top_suspect or patrol_target")


class TaskRead(BaseModel):
    """One case as the inspector needs it on site."""

    case_id: int
    kind: str
    category: str
    status: str
    urgency: str
    due_at: Timestamp | None
    opened_at: Timestamp
    repeat_count: int
    exceedance: bool
    confirmed_source_id: int | None
    location: Point | None
    zone: TaskZone | None
    complaints: list[TaskComplaint]
    suspects: list[TaskSuspect]
    address: SiteAddress | None = Field(default=None, description="where to go: the confirmed source's or the top "
                                        "suspect's registered address (never the complainant's)")
    actions: list[str] = Field(default_factory=list, description="the case actions the inspector may take now")
    inspections: list[InspectionRead] = Field(default_factory=list, description="earlier visits, newest first")


class ParameterRead(BaseModel):
    code: str = Field(examples=["noise_laeq"])
    label: str
    label_zh: str
    unit: str
    units: list[str] = Field(description="units accepted (converted to unit)")


class Label(BaseModel):
    zh: str
    en: str


class FormVocabulary(BaseModel):
    parameters: list[ParameterRead]
    labels: dict[str, Label] = Field(description="code -> label, for channels, categories and the like")
    conclusions: list[str]
    statuses: dict[str, Label]


class Verdict(BaseModel):
    """How a reading was judged against its standard (kept as recorded); ``judged`` false says why not."""

    model_config = ConfigDict(extra="allow")

    judged: bool
    reason: str | None = None
    parameter: str | None = None
    measured_value: float | None = None
    judged_value: float | None = None
    unit: str | None = None
    standard: str | None = Field(default=None, examples=["GB 3096-2008"])
    standard_name: str | None = None
    limit: float | list[float] | None = None
    limit_kind: str | None = Field(default=None, description="max, min, range, above or below")
    exceeded: bool | None = None
    excess: float | None = None
    period: str | None = None
    grade: str | None = None
    grade_zh: str | None = None
    index: int | None = None
    remeasure: bool | None = None
    background: float | None = None
    notes: list[str] | None = None


class ReadingRead(BaseModel):
    id: int
    client_id: str | None
    parameter: str
    value: float
    unit: str | None
    measured_at: Timestamp
    instrument: str | None
    exceeded: bool | None
    verdict: Verdict | None


class EvidenceFlag(BaseModel):
    """Something the photo checks noticed (no GPS position, taken far away or outside the visit)."""

    model_config = ConfigDict(extra="allow")

    code: str = Field(examples=["far_from_site"])
    message_en: str
    message_zh: str


class InspectionFlag(EvidenceFlag):
    photo_id: int = Field(description="the photo the flag is about")


class PhotoRead(BaseModel):
    id: int
    client_id: str
    inspection_id: int
    sha256: str
    mime: str = Field(examples=["image/jpeg"])
    size_bytes: int
    width: int | None
    height: int | None
    original_name: str | None
    exif_taken_at: Timestamp | None
    exif_location: Point | None
    uploaded_at: Timestamp
    flags: list[EvidenceFlag] = Field(description="what the checks noticed (taken far away, outside the visit...)")
    url: str
    thumbnails: dict[str, str] = Field(description="side in pixels -> address")


class InspectionRead(BaseModel):
    id: int
    client_id: str
    case_id: int | None = Field(description="the case visited; null for a patrol visit")
    patrol_target_id: int | None = Field(default=None, description="the drawn unit or route stop visited")
    inspector_id: int | None
    started_at: Timestamp | None
    submitted_at: Timestamp
    location: Point | None
    findings: str | None
    conclusion: str | None
    source_id: int | None
    flags: list[InspectionFlag] = Field(description="the flags of its photos")
    readings: list[ReadingRead]
    photos: list[PhotoRead]
    campaign_id: int | None = Field(default=None, description="the special campaign the visit was made for")
