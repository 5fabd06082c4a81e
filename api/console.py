"""The staff console's shared plumbing: who is looking, in which language, the form token, the layout.

- Sign-in is the page cookie of ``api.page_auth`` (HttpOnly, SameSite=Strict); a console page without
  it sends the browser to the form at ``/`` and back.
- Every form carries ``csrf``: an HMAC of the signed-in credential under the server's secret. A foreign
  page can neither read the cookie nor compute the value, and the value changes with each sign-in, so
  no token store is needed. A post whose Origin (or Referer) names another host is refused as well.
- Language: Chinese unless ``?lang=en`` was asked (kept in a cookie, so every link stays in English).
- Pages render ``api/templates/console/*.html`` into ``base.html`` (navigation per role, sign-out, the
  footer link to ``/docs``); scripts are static files under ``/static/console`` or carry the nonce.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode, urlsplit

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from api import forwarded
from api.deps import Principal, check_role
from api.page_auth import TOKEN_COOKIE, get_page_principal
from api.security_headers import csp_nonce
from api.templating import templates
from ecogrid.cases import checks, states
from ecogrid.core.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from ecogrid.core.vocabulary import label

LANG_COOKIE = "ecogrid_lang"
STATIC_PREFIX = "/static/console"
PAGE_STATE_KEY = "console_page"
# The dependencies that make a route a console route (its errors are HTML pages): every page's viewer and
# every form's token check. Filled as they are made.
CONSOLE_DEPENDENCIES: set[Callable[..., Any]] = set()
_Model = TypeVar("_Model", bound=BaseModel)

# (path, Chinese, English, roles that see it; admin sees everything)
NAVIGATION: Sequence[tuple[str, str, str, frozenset[str]]] = (
    ("/", "工作台", "Workspace", frozenset({"clerk", "chief", "planner", "inspector"})),
    ("/intake", "登记投诉", "Register", frozenset({"clerk"})),
    ("/cases", "案件台账", "Cases", frozenset({"clerk", "chief", "planner", "inspector"})),
    ("/backlog", "信访积案", "Backlog", frozenset({"chief", "planner", "clerk"})),
    ("/revisit-tasks", "回访任务", "Revisit tasks", frozenset({"chief", "clerk"})),
    ("/map", "地图", "Map", frozenset({"chief", "planner", "clerk"})),
    ("/patrols", "双随机巡查", "Patrols", frozenset({"planner", "chief"})),
    ("/reports", "报表", "Reports", frozenset({"chief", "planner", "clerk"})),
    ("/campaigns", "专项行动", "Campaigns", frozenset({"chief", "planner", "clerk"})),
    ("/duty", "值班", "Duty roster", frozenset({"chief"})),
    ("/admin", "系统管理", "Admin", frozenset()),
)

# Field names as the services report them -> the label a person reads next to the input.
FIELD_LABELS: Mapping[str, tuple[str, str]] = {
    "reason": ("原因", "reason"), "user_id": ("办理人", "inspector"), "team": ("中队", "team"),
    "team_id": ("中队", "team"), "days": ("延期天数", "days"), "satisfaction": ("满意度", "satisfaction"),
    "comment": ("回访说明", "comment"), "summary": ("办理结果", "summary"), "answer": ("答复", "answer"),
    "due_at": ("整改期限", "deadline"), "requirement": ("整改要求", "requirement"), "note": ("备注", "note"),
    "department_id": ("单位", "department"),
    "channel": ("渠道", "channel"), "kind": ("类型", "kind"), "category": ("类别", "category"),
    "description": ("内容", "description"), "address": ("地址", "address"), "lon": ("经度", "longitude"),
    "lat": ("纬度", "latitude"), "crs": ("坐标系", "coordinate system"),
    "complainant_name": ("投诉人", "complainant"), "complainant_phone": ("电话", "phone"),
    "zone": ("区域", "zone"), "colour": ("颜色", "colour"), "status": ("状态", "status"),
    "opened_from": ("起始日期", "from"), "opened_to": ("截止日期", "to"), "assigned_to": ("办理人", "assignee"),
    "case_ids": ("案件", "cases"), "join_case_id": ("并案", "join case"), "coords": ("坐标", "coordinates"),
    "day": ("日期", "day"), "file": ("文件", "file"), "username": ("用户名", "user name"),
    "password": ("密码", "password"), "role": ("角色", "role"), "name": ("名称", "name"),
    "external_ref": ("工单号", "reference"), "received_at": ("收到时间", "received at"),
    "urgency": ("紧急程度", "urgency"), "target": ("派给", "dispatch to"), "supervisor": ("督办人", "supervisor"),
    "sort": ("排序", "order"), "limit": ("每页", "per page"), "offset": ("页码", "page"),
    "method": ("方式", "method"), "contacted_at": ("联系时间", "when"), "client_id": ("记录编号", "record id"),
    "case_id": ("案件编号", "case number"),
    "owner": ("包案领导", "owner"), "owner_id": ("包案领导", "owner"), "focused": ("集中攻坚", "focused drive"),
    "chronic": ("重复投诉积案", "chronic repeats"),
    "duty_user_id": ("值班人员", "person on duty"), "starts_at": ("值班开始", "shift start"),
    "ends_at": ("值班结束", "shift end"), "due_on": ("督察日期", "day of the check"),
    "assignee_id": ("督察人员", "inspector sent"), "finding": ("督察结果", "finding"),
}

# Workflow words beside the vocabulary's: statuses, actions, satisfaction, reasons of refusal.
WORKFLOW_LABELS: Mapping[str, tuple[str, str]] = {
    **{s.value: names for s, names in states.STATUS_LABELS.items()},
    **{f"action:{a.value}": names for a, names in states.ACTION_LABELS.items()},
    **{s.value: names for s, names in states.SATISFACTION_LABELS.items()},
    "outside_jurisdiction": ("不属于本辖区", "outside our jurisdiction"),
    "not_environmental": ("不属于生态环境问题", "not an environmental matter"),
    "duplicate": ("重复投诉", "duplicate"),
    "register": ("登记", "registered"), "repeat": ("重复投诉并案", "repeat complaint joined"),
    "supervise": ("督办", "supervision"), "inspect": ("现场检查", "inspection"),
    "exceedance": ("监测超标", "limit exceeded"),
    "own": ("领导包案", "owned by a leader"), "backlog": ("列入信访积案", "put on the backlog"),
    "backlog_leave": ("移出信访积案", "taken off the backlog"),
    "document_void": ("文书作废", "document voided"),
    "duty": ("值班人员接收", "received by the person on duty"),
    states.REOPEN_EVENT: states.REOPEN_LABELS, "contact": ("联系投诉人", "contact with the complainant"),
    **checks.EVENT_LABELS, "document": ("签发文书", "document issued"),
}

_ERROR_KINDS: Sequence[tuple[type[DomainError], str, str]] = (
    (InvalidInput, "输入有误", "Invalid input"),
    (Conflict, "当前不能执行", "Not possible now"),
    (Forbidden, "无权执行", "Not allowed"),
    (NotFound, "未找到", "Not found"),
)


def language(request: Request) -> str:
    asked = request.query_params.get("lang")
    if asked in ("zh", "en"):
        return asked
    return "en" if request.cookies.get(LANG_COOKIE) == "en" else "zh"


def _credential(request: Request) -> str:
    return request.cookies.get(TOKEN_COOKIE) or request.headers.get("authorization") or \
        request.headers.get("x-api-key") or ""


def csrf_token(request: Request) -> str:
    secret = request.app.state.settings.secret_key.encode()
    return hmac.new(secret, b"console-form:" + _credential(request).encode(), hashlib.sha256).hexdigest()


def _same_site(request: Request) -> bool:
    claimed = request.headers.get("origin") or request.headers.get("referer")
    if not claimed:
        return True  # the token still has to match
    if claimed == "null":
        return False
    return urlsplit(claimed).netloc in forwarded.hosts(request, request.app.state.settings)


def check_form_token(request: Request, value: str | None) -> None:
    if not (value and hmac.compare_digest(value, csrf_token(request)) and _same_site(request)):
        raise Forbidden("the form expired or came from another site; open the page again", field="csrf")


async def read_form(request: Request) -> FormData:
    """The posted form, after its token is checked (a dependency of every console POST)."""
    form = await request.form()
    value = form.get("csrf")
    check_form_token(request, value if isinstance(value, str) else None)
    return form


CONSOLE_DEPENDENCIES.add(read_form)
PostedForm = Annotated[FormData, Depends(read_form)]


@dataclass
class Page:
    """One console request: the viewer, the language, the tokens a template needs."""

    request: Request
    principal: Principal
    lang: str
    nonce: str | None
    csrf: str
    flash: list[str] = field(default_factory=list)

    @property
    def role(self) -> str:
        return self.principal.role

    def tr(self, zh: str, en: str) -> str:
        return en if self.lang == "en" else zh

    def label(self, code: str | None) -> str:
        if code is None:
            return ""
        if code in WORKFLOW_LABELS:
            return self.tr(*WORKFLOW_LABELS[code])
        return label(code, self.lang)

    def field_label(self, name: str | None) -> str:
        zh, en = FIELD_LABELS.get(name or "", (name or "", name or ""))
        return self.tr(zh, en)

    def error_text(self, exc: DomainError) -> str:
        """The refusal as shown next to the field: its kind in the page's language, then the service's words."""
        kind = next((self.tr(zh, en) for cls, zh, en in _ERROR_KINDS if isinstance(exc, cls)), self.tr("错误", "Error"))
        where = f"{self.field_label(exc.field)}：" if exc.field else ""
        return f"{kind}（{where}{exc.message}）" if self.lang == "zh" else f"{kind} ({where}{exc.message})"

    def sees(self, roles: frozenset[str]) -> bool:
        return self.role == "admin" or self.role in roles

    def navigation(self) -> list[tuple[str, str, bool]]:
        path = self.request.url.path
        return [(href, self.tr(zh, en), href == path or (href != "/" and path.startswith(href + "/")))
                for href, zh, en, roles in NAVIGATION if self.sees(roles)]

    def url(self, path: str, params: Mapping[str, Any] | None = None, **changes: Any) -> str:
        """``path`` with ``params`` (empty values dropped) and ``changes`` applied: links that keep the filters."""
        merged = {**(params or {}), **changes}
        kept = [(k, str(v)) for k, v in merged.items() if v not in (None, "", False)]
        return path + ("?" + urlencode(kept) if kept else "")

    def other_language_href(self) -> str:
        kept = {k: v for k, v in self.request.query_params.items() if k != "lang"}
        return self.url(self.request.url.path, kept, lang="zh" if self.lang == "en" else "en")


def console_page(*roles: str) -> Callable[..., Page]:
    """A dependency: the signed-in viewer of a console page (one of ``roles``, or admin), as a :class:`Page`.

    The page is kept on the request before the role is checked, so that a refusal is shown inside the
    console's layout (``api.console_errors``)."""

    def dependency(request: Request, principal: Annotated[Principal, Depends(get_page_principal)]) -> Page:
        page = Page(request=request, principal=principal, lang=language(request), nonce=csp_nonce(request),
                    csrf=csrf_token(request))
        setattr(request.state, PAGE_STATE_KEY, page)
        check_role(principal, roles)
        return page

    CONSOLE_DEPENDENCIES.add(dependency)
    return dependency


def current_page(request: Request) -> Page | None:
    """The console page this request had got as far as (its viewer known), if any."""
    page = getattr(request.state, PAGE_STATE_KEY, None)
    return page if isinstance(page, Page) else None


def render(page: Page, template: str, *, status: int = 200, headers: Mapping[str, str] | None = None,
           **context: Any) -> HTMLResponse:
    body = templates.get_template(f"console/{template}").render(page=page, tr=page.tr, static=STATIC_PREFIX,
                                                                page_labels=WORKFLOW_LABELS, **context)
    response = HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store", **(headers or {})})
    remember_language(page.request, response)
    return response


def remember_language(request: Request, response: Response) -> None:
    asked = request.query_params.get("lang")
    if asked in ("zh", "en") and request.cookies.get(LANG_COOKIE) != asked:
        response.set_cookie(LANG_COOKIE, asked, max_age=365 * 86_400, samesite="strict", path="/",
                            secure=forwarded.is_https(request, request.app.state.settings))


def form_text(form: FormData, name: str) -> str | None:
    """A text field as typed, None when absent or blank (files are not text)."""
    value = form.get(name)
    if not isinstance(value, str):
        return None
    return value.strip() or None


def form_model(model: type[_Model], data: Mapping[str, Any]) -> _Model:
    """A form's fields read by the API's own request model (the same limits and parsing); a refusal is
    InvalidInput naming the first field at fault, so the console's error page names it."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = first.get("loc", ())
        raise InvalidInput(str(first.get("msg", "invalid")), field=str(where[-1]) if where else None) from None
