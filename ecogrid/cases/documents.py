"""Case documents (文书): the rectification notice (整改提示函) and the reply letter (信访答复意见书).

A clerk, chief or admin who may see the case issues one (``issue_document``) once the case has the event
it rests on: the latest ``rectify`` (its requirement and deadline) for a notice, the latest ``reply`` (its
summary) for a letter. The document gets the next number of its kind and year (文号, e.g.
〔2026〕整改第 0001 号) from ``document_counters``, bumped in one statement, so concurrent issues never share a
number. It is stored with the case as the page rendered then, so a reprint is the same document whatever
the case became since; the same ``client_id`` again answers with the one stored.

The reply letter is addressed to the complainant. The stored page carries a marker where the name goes;
``printable`` fills it for the viewer: the name for the roles that see personal data (the read audited),
the masked name for the others (``ecogrid.core.privacy``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from api.templating import templates
from ecogrid.cases.states import Action
from ecogrid.core import authorization, privacy, text_rules
from ecogrid.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from ecogrid.core.models import Case, CaseDocument, CaseEvent, Complaint, DocumentCounter, Zone
from ecogrid.core.time import BEIJING, rfc3339
from ecogrid.core.vocabulary import Role, label


class Kind(StrEnum):
    rectification_notice = "rectification_notice"
    reply_letter = "reply_letter"


# kind -> (title, the word of its number, the event it rests on)
KINDS: dict[Kind, tuple[str, str, Action]] = {
    Kind.rectification_notice: ("整改提示函", "整改", Action.rectify),
    Kind.reply_letter: ("信访答复意见书", "答复", Action.reply),
}
ISSUERS = frozenset({Role.clerk.value, Role.chief.value, Role.admin.value})
# Voiding a document issued in error is a chief's decision (or admin's), recorded with the reason.
VOIDERS = frozenset({Role.chief.value, Role.admin.value})
VOID_EVENT = "document_void"
REASON_MAX = 500
READERS = ISSUERS | {Role.inspector.value, Role.planner.value}
# Where the reply letter's addressee goes in the stored page; user text never renders as a comment (escaped).
ADDRESSEE = "<!--addressee-->"


def number_text(*, year: int, word: str, serial: int) -> str:
    return f"〔{year}〕{word}第 {serial:04d} 号"


def _next_serial(session: Session, *, kind: str, year: int) -> int:
    """The next number of ``kind`` in ``year``: one atomic upsert, a row lock held until commit."""
    statement = insert(DocumentCounter).values(kind=kind, year=year, last=1).on_conflict_do_update(
        index_elements=[DocumentCounter.kind, DocumentCounter.year], set_={"last": DocumentCounter.last + 1},
    ).returning(DocumentCounter.last)
    return int(session.execute(statement).scalar_one())


def _read(row: CaseDocument) -> dict[str, Any]:
    return {"id": row.id, "case_id": row.case_id, "kind": row.kind, "title": KINDS[Kind(row.kind)][0],
            "number": row.number, "issued_at": rfc3339(row.issued_at), "issued_by_id": row.issued_by_id,
            "url": f"/documents/{row.id}", "voided": row.voided_at is not None, "voided_at": rfc3339(row.voided_at),
            "voided_by_id": row.voided_by_id, "void_reason": row.void_reason}


def _day(moment: datetime | None) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(BEIJING)
    return f"{local.year}年{local.month}月{local.day}日"


def _render(session: Session, *, case: Case, kind: Kind, number: str, event: CaseEvent, bureau: str,
            moment: datetime) -> str:
    complaints = list(session.scalars(select(Complaint).where(Complaint.case_id == case.id).order_by(Complaint.id)))
    first = complaints[0] if complaints else None
    zone = session.get(Zone, case.zone_id) if case.zone_id is not None else None
    data = event.data or {}
    due = data.get("due_at")
    return templates.get_template("documents/letter.html").render(
        kind=kind.value, title=KINDS[kind][0], number=number, bureau=bureau, case=case,
        category=label(case.category, "zh"), zone=zone.name if zone else None,
        address=first.address if first else None, complaint=first.description if first else None,
        received=_day(first.received_at if first else case.opened_at), opened=_day(case.opened_at),
        requirement=data.get("requirement") if kind is Kind.rectification_notice else None,
        due=_day(datetime.fromisoformat(due)) if due else None,
        summary=(data.get("text") or event.note) if kind is Kind.reply_letter else None,
        replied=_day(event.at), issued=_day(moment), addressee=ADDRESSEE)


def issue_document(session: Session, *, case_id: int, kind: str, client_id: str | None, user_id: int | None,
                   role: str, bureau: str, now: datetime | None = None) -> tuple[dict[str, Any], bool]:
    """Issue a document of ``kind`` on the case; (the document, whether it was stored now).

    Raises Forbidden (not a clerk, chief or admin), NotFound (a case the caller may not see), Conflict (no
    rectify / reply event yet, or the client id names another kind).
    """
    if role not in ISSUERS:
        raise Forbidden(f"role {role} may not issue documents; a clerk, chief or admin does")
    if kind not in KINDS:
        raise InvalidInput(f"kind: one of {', '.join(KINDS)}", field="kind")
    chosen = Kind(kind)
    case = authorization.check_sees_case(session, case_id=case_id, user_id=user_id, role=role, lock=True)
    if client_id is not None:
        text_rules.check_text(client_id, field="client_id")
        stored = session.scalars(select(CaseDocument).where(CaseDocument.case_id == case.id,
                                                            CaseDocument.client_id == client_id)).one_or_none()
        if stored is not None:
            if stored.kind != chosen.value:
                raise Conflict("this client_id was used for another document of the case", field="client_id")
            return _read(stored), False
    title, word, action = KINDS[chosen]
    event = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.action == action.value)
                            .order_by(CaseEvent.at.desc(), CaseEvent.id.desc()).limit(1)).first()
    if event is None:
        raise Conflict(f"a {chosen.value.replace('_', ' ')} ({title}) needs a {action.value} event first; the case has "
                       "none yet",
                       field="kind")
    moment = now or datetime.now(UTC)
    year = moment.astimezone(BEIJING).year
    serial = _next_serial(session, kind=chosen.value, year=year)
    number = number_text(year=year, word=word, serial=serial)
    html = _render(session, case=case, kind=chosen, number=number, event=event, bureau=bureau, moment=moment)
    row = CaseDocument(case_id=case.id, kind=chosen.value, year=year, serial=serial, number=number,
                       issued_at=moment, issued_by_id=user_id, client_id=client_id, html=html)
    session.add(row)
    session.flush()
    return _read(row), True


def list_documents(session: Session, *, case_id: int, user_id: int | None, role: str) -> list[dict[str, Any]]:
    """The case's documents, oldest first. NotFound for a case the caller may not see."""
    if role not in READERS:
        raise Forbidden(f"role {role} may not read case documents")
    authorization.check_sees_case(session, case_id=case_id, user_id=user_id, role=role)
    rows = session.scalars(select(CaseDocument).where(CaseDocument.case_id == case_id)
                           .order_by(CaseDocument.issued_at, CaseDocument.id))
    return [_read(r) for r in rows]


def void_document(session: Session, *, document_id: int, reason: str | None, user_id: int | None, role: str,
                  now: datetime | None = None) -> dict[str, Any]:
    """作废: withdraw a document issued in error. It keeps its number (the sequence shows no gap unexplained) and
    its page, which is then stamped void; the case history gets a ``document_void`` event with the reason.
    The same reason again answers with the voided document; another reason on a voided one is a Conflict."""
    if role not in VOIDERS:
        raise Forbidden(f"role {role} may not void documents; a chief or admin does")
    row = session.scalars(select(CaseDocument).where(CaseDocument.id == document_id).with_for_update()).one_or_none()
    if row is None:
        raise NotFound(f"document {document_id} not found")
    try:
        case = authorization.check_sees_case(session, case_id=row.case_id, user_id=user_id, role=role, lock=True)
    except NotFound:
        raise NotFound(f"document {document_id} not found") from None
    cleaned = (reason or "").strip()
    if not cleaned:
        raise InvalidInput("give the reason the document is void", field="reason")
    if len(cleaned) > REASON_MAX:
        raise InvalidInput(f"reason is longer than {REASON_MAX} characters", field="reason")
    text_rules.check_text(cleaned, field="reason")
    if row.voided_at is not None:
        if row.void_reason == cleaned:
            return _read(row)
        raise Conflict(f"document {row.number} is already void", field="reason")
    moment = now or datetime.now(UTC)
    row.voided_at, row.voided_by_id, row.void_reason = moment, user_id, cleaned
    session.add(CaseEvent(case_id=case.id, at=moment, actor_id=user_id, action=VOID_EVENT, from_status=case.status,
                          to_status=case.status, note=cleaned,
                          data={"document_id": row.id, "number": row.number, "reason": cleaned}))
    session.flush()
    return _read(row)


def _stamped(row: CaseDocument, html: str) -> str:
    """The page of a void document with the void stamp on top: when, and why (the reason is escaped)."""
    if row.voided_at is None:
        return html
    stamp = (f'<p class="void-stamp" style="border:3px solid #c00;color:#c00;font-size:20pt;font-weight:bold;'
             f'text-align:center;padding:.3em">已作废 VOID · {escape(_day(row.voided_at))}<br>'
             f'<span style="font-size:14pt">作废原因：{escape(row.void_reason or "")}</span></p>')
    return html.replace("<body>", "<body>\n" + stamp, 1)


def printable(session: Session, *, document_id: int, user_id: int | None, name: str, role: str) -> str:
    """The stored page of a document, its addressee filled in for this viewer (personal data per role, audited).

    NotFound for a missing document or one of a case the caller may not see.
    """
    if role not in READERS:
        raise Forbidden(f"role {role} may not read case documents")
    row = session.get(CaseDocument, document_id)
    if row is None:
        raise NotFound(f"document {document_id} not found")
    try:
        authorization.check_sees_case(session, case_id=row.case_id, user_id=user_id, role=role)
    except NotFound:
        raise NotFound(f"document {document_id} not found") from None
    if ADDRESSEE not in row.html:
        return _stamped(row, row.html)
    person = session.scalars(select(Complaint.complainant_name).where(
        Complaint.case_id == row.case_id, Complaint.complainant_name.is_not(None)).order_by(Complaint.id)).first()
    if person and privacy.may_see_personal_data(role):
        privacy.log_personal_read(session, actor_id=user_id, actor_name=name, entity="case_document",
                                  entity_ids=[row.id])
        shown = person
    else:
        shown = privacy.mask_name(person) or "投诉人"
    return _stamped(row, row.html.replace(ADDRESSEE, str(escape(f"{shown}：")), 1))

