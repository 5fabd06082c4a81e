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
from ecogrid.core.vocabulary import ContactMethod, DepartmentKind, ReturnReason

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

    model_config = ConfigDict(json_schema_extra={"example": {"satisfaction": "satisfied", "method": "phone",
                                                             "comment": "来电人表示异味已消除"}})
    satisfaction: Satisfaction = Field(description="the complainant's judgement of the handling")
    comment: str | None = Field(default=None, max_length=TEXT_MAX, description="what the complainant said")
    method: ContactMethod | None = Field(default=None, description="how the complainant was reached: phone (电话), "
                                                                   "site (现场) or sms (短信)")


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


class ReturnBody(ActionBody):
    """退单: back to the platform that dispatched the work order, before acceptance, with a reason code and a
    note the platform reads (the case leaves this bureau: neither closed nor overdue here). Clerk."""

    model_config = ConfigDict(json_schema_extra={"example": {"reason": "outside_territory",
                                                             "note": "投诉地址位于邻区，请改派该区生态环境局"}})
    reason: ReturnReason = Field(description="why the work order is not this bureau's")
    note: str = Field(min_length=1, max_length=NOTE_MAX, description="what the platform is told")


class TransferBody(ActionBody):
    """转办 to another department of the registry (not the police: see handover), with why; the case
    leaves this bureau. Chief."""

    model_config = ConfigDict(json_schema_extra={"example": {"department_id": 2,
                                                             "reason": "餐饮油烟由城管部门负责"}})
    department_id: Id = Field(description="an active department (GET /api/v1/admin/departments)")
    reason: str = Field(min_length=1, max_length=TEXT_MAX, description="why the department is the right one")


class HandoverBody(TransferBody):
    """移交公安: a transfer to a department of kind police (social-life noise, a suspected crime), with
    why; the case leaves this bureau. Chief."""

    model_config = ConfigDict(json_schema_extra={"example": {"department_id": 1,
                                                             "reason": "夜间社会生活噪声，属公安机关管辖"}})


class CohandleBody(ActionBody):
    """会同办理: a department (street office, health centre, urban management...) handles the case with the
    bureau; recorded on the case, once per department, from acceptance until the conclusion. Chief."""

    model_config = ConfigDict(json_schema_extra={"example": {"department_id": 3, "note": "会同街道联合检查"}})
    department_id: Id = Field(description="an active department (GET /api/v1/admin/departments)")


ACTION_BODIES: dict[Action, type[ActionBody]] = {
    Action.accept: AcceptBody, Action.reject: RejectBody, Action.dispatch: DispatchBody, Action.start: StartBody,
    Action.rectify: RectifyBody, Action.reply: ReplyBody, Action.revisit: RevisitBody, Action.close: CloseBody,
    Action.extend: ExtendBody, Action.answer: AnswerBody, Action.return_: ReturnBody, Action.transfer: TransferBody,
    Action.handover: HandoverBody, Action.cohandle: CohandleBody,
}


def payload_of(body: ActionBody) -> dict[str, Any]:
    """The body as the state machine's payload: the fields the caller gave, nothing else (the client id
    names the request, it is not part of the action)."""
    return body.model_dump(exclude_unset=True, exclude={"client_id"})


class SupervisorAssign(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"user_id": 3}})
    user_id: Id = Field(description="the chief who owns the supervision-ledger item")


# ---------------------------------------------------------------- departments


class DepartmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {
        "name": "东城区城市管理综合执法局", "kind": "urban_management", "contact_person": "王科长",
        "phone": "010-64000000"}})
    name: str = Field(min_length=1, max_length=128)
    kind: DepartmentKind
    contact_person: str | None = Field(default=None, max_length=64)
    phone: str | None = Field(default=None, max_length=32, pattern=r"^[0-9+\- ()转]{3,32}$")
    active: bool = True


class DepartmentPatch(BaseModel):
    """The fields to change; the others stay."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"contact_person": "李科长"}})
    name: str | None = Field(default=None, min_length=1, max_length=128)
    kind: DepartmentKind | None = None
    contact_person: str | None = Field(default=None, max_length=64)
    phone: str | None = Field(default=None, max_length=32, pattern=r"^[0-9+\- ()转]{3,32}$")
    active: bool | None = None


class DepartmentRead(BaseModel):
    id: int
    name: str
    kind: DepartmentKind
    kind_label: str = Field(examples=["城管执法"])
    contact_person: str | None
    phone: str | None
    active: bool


class CoHandlerRead(BaseModel):
    """A department handling the case jointly (会同), since when and on whose word."""

    department: DepartmentRead
    at: Timestamp
    by_id: int | None
    note: str | None


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
    due_estimated: bool = Field(description="the deadline counts working days of a year without an official "
                                            "holiday schedule (none loaded, none in the chinesecalendar package): "
                                            "an estimate from the rule-based festival dates")
    assigned_to_id: int | None
    assigned_team: str | None
    supervisor_id: int | None
    owner_id: int | None = Field(default=None, description="the leader who owns the case to the end (领导包案)")
    duty_user_id: int | None = Field(default=None, description="the person on duty (值班) an urgent complaint "
                                                        "received out of hours was recorded for at intake")
    repeat_count: int
    handling_count: int
    rework_count: int = Field(default=0, description="times a repeat complaint reopened the case after it was "
                                                     "closed (返工)")
    extended: bool
    cross_district: bool = Field(default=False, description="跨区: the case lies in one district and its confirmed "
                                                             "source in another; escalated to the city level and "
                                                             "within reach of both districts' chiefs")
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
    method: ContactMethod | None = Field(default=None, description="phone, site or sms; null when not recorded")


class CaseRead(CaseSummary):
    """One case with its complaints, history, revisits and what the caller may do now."""

    complaints: list[CaseComplaint]
    history: list[CaseEventRead]
    revisits: list[RevisitRead]
    allowed_actions: list[Action]
    reject_reason: RejectReason | None
    extension_reason: str | None
    rectification_due_at: Timestamp | None
    return_reason: ReturnReason | None = Field(default=None, description="why it went back to the platform (退单)")
    transferred_to: DepartmentRead | None = Field(default=None, description="the department it was transferred "
                                                  "or handed over to (转办, 移交公安)")
    transfer_reason: str | None = None
    co_handlers: list[CoHandlerRead] = Field(default_factory=list, description="bodies handling it jointly (会同)")
    owner_name: str | None = Field(default=None, description="the owning leader's name")
    on_backlog: bool = Field(default=False, description="on the backlog ledger (信访积案, GET /api/v1/backlog)")
    rectification_rechecked: bool | None = Field(
        default=None, description="under rectification: whether an inspection followed the order (复查); a reply "
                                  "waits for it")


class SupervisionItem(CaseSummary):
    supervisor_name: str | None


class SupervisionList(BaseModel):
    items: list[SupervisionItem]
    total: int


# ---------------------------------------------------------------- the contact log


class ContactCreate(BaseModel):
    """One contact with the complainant: when, how and what was said. Clerk, chief, inspector of the case."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {
        "method": "phone", "summary": "告知已安排执法人员明日上午到场核查，来电人表示认可",
        "contacted_at": "2026-05-02T10:30:00+08:00", "client_id": "c-6f1d2a"}})
    method: ContactMethod = Field(description="phone (电话), site (现场) or sms (短信)")
    summary: str = Field(min_length=1, max_length=TEXT_MAX, description="what was said or done")
    contacted_at: Moment | None = Field(default=None, description="when (RFC 3339; a time without an offset is "
                                                                  "Beijing time); now when left out")
    client_id: str | None = Field(default=None, min_length=1, max_length=64,
                                  description="the sender's id of this record: a retry with the same id is stored once")


class ContactRead(BaseModel):
    id: int
    case_id: int
    contacted_at: Timestamp
    method: ContactMethod
    method_label: str = Field(examples=["电话"])
    by_id: int | None = Field(description="the staff member who made the contact")
    by_name: str | None
    summary: str
    created_at: Timestamp


class ContactList(BaseModel):
    items: list[ContactRead]
    total: int
