"""Request and response shapes of the case API: one body model per workflow action, the ledger item,
one case with its history, the supervision ledger.

The action bodies state what ``ecogrid.cases.states.transition`` reads from a payload (its
docstring lists the same fields); the state machine still checks every value, so a body that passes
here can still be refused there (a 422 naming the field, or a 409 when the action is not possible now).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.params import Id, Moment
from api.read_types import Timestamp
from ecogrid.cases import deadlines
from ecogrid.cases.states import Action, RejectReason, Satisfaction, Status

NOTE_MAX = 2000
TEXT_MAX = 4000
# The longest extension the time-limit table allows (the state machine checks the same number).
MAX_EXTENSION_DAYS = deadlines.load_time_limits().extension_max_days

Note = Field(default=None, max_length=NOTE_MAX, description="a free comment, kept in the case history")


# ---------------------------------------------------------------- action bodies


class ActionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Note
    client_id: str | None = Field(
        default=None, max_length=64,
        description="the sender's own id of this action (8-64 letters, digits, '-', '_', '.'; a UUID fits): a "
                    "retry with the same id is taken once and answered with the first answer; the same id with "
                    "another case, action or body is a 409")


class AcceptBody(ActionBody):
    """受理: the time limit of the conclusion starts now. Clerk."""

    model_config = ConfigDict(json_schema_extra={"example": {"note": "属于本局职责，予以受理"}})


class RejectBody(ActionBody):
    """不予受理, with the reason. Clerk."""

    model_config = ConfigDict(json_schema_extra={"example": {"reason": "outside_jurisdiction",
                                                             "note": "位于邻区，已告知来电人"}})
    reason: RejectReason = Field(description="why the case is not taken up")


class DispatchBody(ActionBody):
    """派单 to one inspector (``user_id``) or one team (``team_id``): exactly one of them. Chief."""

    model_config = ConfigDict(json_schema_extra={"example": {"user_id": 7, "note": "请今日到场核查"}})
    user_id: Id | None = Field(default=None, description="an active inspector's user id")
    team_id: str | None = Field(default=None, min_length=1, max_length=64,
                                description="a team name with at least one active inspector")
    team: str | None = Field(default=None, min_length=1, max_length=64,
                             description="the same as team_id (the older name)")


class StartBody(ActionBody):
    """开始办理: the inspector takes up the case. Inspector of the case (or chief)."""

    model_config = ConfigDict(json_schema_extra={"example": {"note": "已出发"}})


class RectifyBody(ActionBody):
    """责令整改 by a deadline in the future. Inspector of the case (or chief)."""

    model_config = ConfigDict(json_schema_extra={"example": {
        "due_at": "2026-05-08T18:00:00+08:00", "requirement": "加装活性炭吸附装置并提交检测报告",
        "client_id": "3f1c9a6e-rectify-1"}})
    due_at: Moment = Field(description="the rectification deadline, in the future (RFC 3339; a time "
                           "without an offset is Beijing time)")
    requirement: str | None = Field(default=None, max_length=TEXT_MAX, description="what must be rectified")


class ReplyBody(ActionBody):
    """反馈办理结果 (办结): what was found and done. Inspector of the case (or chief)."""

    model_config = ConfigDict(json_schema_extra={"example": {"summary": "现场核查属实，已责令停产整改",
                                                             "client_id": "3f1c9a6e-reply-1"}})
    summary: str = Field(min_length=1, max_length=TEXT_MAX, description="the handling result")


class RevisitBody(ActionBody):
    """回访: the complainant's satisfaction; unsatisfied sends the case back for another handling. Clerk."""

    model_config = ConfigDict(json_schema_extra={"example": {"satisfaction": "satisfied",
                                                             "comment": "来电人表示异味已消除"}})
    satisfaction: Satisfaction = Field(description="the complainant's judgement of the handling")
    comment: str | None = Field(default=None, max_length=TEXT_MAX, description="what the complainant said")


class CloseBody(ActionBody):
    """销号 after a revisit that was not unsatisfied. Clerk."""

    model_config = ConfigDict(json_schema_extra={"example": {"note": "回访满意，予以销号"}})


class ExtendBody(ActionBody):
    """延期: once per case, while it is open (accepted, not yet closed). Chief."""

    model_config = ConfigDict(json_schema_extra={"example": {"days": 10, "reason": "需等待第三方检测报告"}})
    days: int = Field(ge=1, le=MAX_EXTENSION_DAYS, description="days added to the time limit")
    reason: str = Field(min_length=1, max_length=TEXT_MAX, description="why more time is needed")


class AnswerBody(ActionBody):
    """答复 a consultation or suggestion directly (it is closed). Clerk."""

    model_config = ConfigDict(json_schema_extra={"example": {"answer": "噪声投诉可拨打12345或登录政务网站提交"}})
    answer: str = Field(min_length=1, max_length=TEXT_MAX, description="the answer given to the person")


ACTION_BODIES: dict[Action, type[ActionBody]] = {
    Action.accept: AcceptBody, Action.reject: RejectBody, Action.dispatch: DispatchBody, Action.start: StartBody,
    Action.rectify: RectifyBody, Action.reply: ReplyBody, Action.revisit: RevisitBody, Action.close: CloseBody,
    Action.extend: ExtendBody, Action.answer: AnswerBody,
}


def payload_of(body: ActionBody) -> dict[str, Any]:
    """The body as the state machine's payload: the fields the caller gave, nothing else (the client id
    names the request, it is not part of the action)."""
    return body.model_dump(exclude_unset=True, exclude={"client_id"})


class SupervisorAssign(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"user_id": 3}})
    user_id: Id = Field(description="the chief who owns the supervision-ledger item")


# ---------------------------------------------------------------- responses


class CaseSummary(BaseModel):
    """A case as a ledger item: deadline, time left, colours and counts (no personal data)."""

    id: int
    kind: str = Field(examples=["complaint"])
    category: str = Field(examples=["voc"])
    status: Status
    status_label: str = Field(examples=["已派单"], description="the status in Chinese")
    channel: str = Field(examples=["hotline_12345"])
    urgency: str = Field(examples=["ordinary"])
    zone_id: int | None = Field(description="the zone the case lies in (see zone_code)")
    zone_code: str | None = Field(default=None, description="that zone's code, as the zone filters take it")
    opened_at: Timestamp
    accepted_at: Timestamp | None
    closed_at: Timestamp | None
    due_at: Timestamp | None
    due_estimated: bool = Field(description="the deadline counts working days past the known holiday calendar")
    assigned_to_id: int | None
    assigned_team: str | None
    supervisor_id: int | None
    repeat_count: int
    handling_count: int
    extended: bool
    satisfaction: Satisfaction | None
    time_left_seconds: int | None = Field(description="negative once overdue; null when finished")
    time_left: str | None = Field(examples=["3d 4h"])
    overdue: bool
    progress_colour: str | None = Field(examples=["blue"], description="green, blue, yellow or red (挂图督办)")
    satisfaction_colour: str | None = Field(examples=["green"])
    closed_on_time: bool | None


class CaseList(BaseModel):
    items: list[CaseSummary]
    total: int = Field(description="matching cases before paging")


class CaseComplaint(BaseModel):
    """A complaint of the case; name and phone masked for roles that need not see them."""

    id: int
    channel: str
    kind: str
    category: str
    description: str
    received_at: Timestamp
    external_ref: str | None
    address: str | None
    is_repeat: bool
    complainant_name: str | None
    complainant_phone: str | None


class CaseEventRead(BaseModel):
    id: int
    at: Timestamp
    actor_id: int | None
    action: str = Field(examples=["dispatch"])
    from_status: str | None
    to_status: str
    note: str | None
    data: dict[str, Any] | None = Field(description="what the action recorded (deadline, assignee, reason...)")


class RevisitRead(BaseModel):
    id: int
    at: Timestamp
    by_id: int | None
    satisfaction: Satisfaction
    handling: int = Field(description="which handling the revisit judged (1 for the first)")
    note: str | None


class CaseRead(CaseSummary):
    """One case with its complaints, history, revisits and what the caller may do now."""

    complaints: list[CaseComplaint]
    history: list[CaseEventRead]
    revisits: list[RevisitRead]
    allowed_actions: list[Action]
    reject_reason: RejectReason | None
    extension_reason: str | None
    rectification_due_at: Timestamp | None


class SupervisionItem(CaseSummary):
    supervisor_name: str | None


class SupervisionList(BaseModel):
    items: list[SupervisionItem]
    total: int
