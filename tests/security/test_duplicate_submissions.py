"""Copies of one submission sent at the same moment (a double tap, an outbox retry racing the
first send) are stored once, and every copy is answered with the stored record, never an error."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import func, select

from ecogrid.accounts import service as user_service
from ecogrid.core.models import Inspection, Photo, Reading, User
from tests.inspection_seed import jpeg_with_exif, seed_case

COPIES = 20
PASSWORD = "field-pass-123"


@pytest.fixture(scope="module")
def inspector_headers(live_server) -> dict[str, str]:
    with live_server.session() as session:
        user_service.create(session, username="inspector_dup", role="inspector", password=PASSWORD)
        session.commit()
    answer = httpx.post(f"{live_server.url}/api/v1/auth/token",
                        data={"username": "inspector_dup", "password": PASSWORD}, timeout=30)
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def _send_at_once(url: str, *, headers: dict[str, str], copies: int, body: dict | None = None,
                  form: dict | None = None, files: dict | None = None) -> list[httpx.Response]:
    start = threading.Barrier(copies)
    answers: list[httpx.Response | BaseException] = [None] * copies  # type: ignore[list-item]

    def send(index: int) -> None:
        with httpx.Client(timeout=60) as http:
            start.wait()
            try:
                answers[index] = http.post(url, headers=headers, json=body, data=form, files=files)
            except BaseException as error:  # reported below, not lost in the thread
                answers[index] = error

    threads = [threading.Thread(target=send, args=(i,)) for i in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for answer in answers:
        if isinstance(answer, BaseException):
            raise answer
    return answers  # type: ignore[return-value]


@pytest.mark.parametrize("with_readings", [False, True])
def test_twenty_copies_of_one_inspection_are_stored_once_and_all_answered_with_it(
    live_server, inspector_headers, with_readings
) -> None:
    with live_server.session() as session:
        inspector_id = session.scalar(select(User.id).where(
            User.username == "inspector_dup"))
        seeded = seed_case(session, inspector_id=inspector_id)
        session.commit()
    client_id = str(uuid.uuid4())
    now = datetime.now(UTC).isoformat()
    readings = [{"client_id": f"{client_id}-r{i}", "parameter": "noise_laeq", "value": 52 + i, "unit": "dB(A)",
                 "measured_at": now} for i in range(2)] if with_readings else []
    body = {"case_id": seeded.case_id, "client_id": client_id, "findings": "music audible at the boundary",
            "started_at": now, "readings": readings}

    answers = _send_at_once(f"{live_server.url}/api/v1/inspections", headers=inspector_headers, body=body,
                            copies=COPIES)

    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] * (COPIES - 1) + [201], [a.text for a in answers if a.status_code >= 300][:3]
    ids = {a.json()["id"] for a in answers}
    assert len(ids) == 1
    with live_server.session() as session:
        stored = session.scalar(select(func.count()).select_from(Inspection).where(
            Inspection.client_id == client_id))
        stored_readings = session.scalar(select(func.count()).select_from(Reading).where(
            Reading.inspection_id == ids.pop()))
    assert stored == 1
    assert stored_readings == len(readings)


def test_a_client_id_of_another_inspectors_visit_is_still_a_conflict(live_server, inspector_headers) -> None:
    with live_server.session() as session:
        other = user_service.create(session, username="inspector_other", role="inspector", password=PASSWORD)
        mine = session.scalar(select(User.id).where(User.username == "inspector_dup"))
        theirs = seed_case(session, inspector_id=other.id)
        session.commit()
        other_id = other.id
    assert other_id != mine
    token = httpx.post(f"{live_server.url}/api/v1/auth/token",
                       data={"username": "inspector_other", "password": PASSWORD}, timeout=30).json()
    client_id = str(uuid.uuid4())
    first = httpx.post(f"{live_server.url}/api/v1/inspections",
                       headers={"Authorization": f"Bearer {token['access_token']}"},
                       json={"case_id": theirs.case_id, "client_id": client_id}, timeout=30)
    assert first.status_code == 201, first.text
    again = httpx.post(f"{live_server.url}/api/v1/inspections", headers=inspector_headers,
                       json={"case_id": theirs.case_id, "client_id": client_id}, timeout=30)
    assert again.status_code == 409
    assert again.json()["detail"][0]["loc"] == ["body", "client_id"]


def test_copies_of_one_photo_sent_at_once_are_stored_once(live_server, inspector_headers) -> None:
    with live_server.session() as session:
        inspector_id = session.scalar(select(User.id).where(User.username == "inspector_dup"))
        seeded = seed_case(session, inspector_id=inspector_id)
        session.commit()
    visit = httpx.post(f"{live_server.url}/api/v1/inspections", headers=inspector_headers, timeout=30,
                       json={"case_id": seeded.case_id, "client_id": str(uuid.uuid4())})
    assert visit.status_code == 201, visit.text
    photo_client_id = str(uuid.uuid4())

    answers = _send_at_once(f"{live_server.url}/api/v1/inspections/{visit.json()['id']}/photos",
                            headers=inspector_headers, copies=8, form={"client_id": photo_client_id},
                            files={"file": ("site.jpg", jpeg_with_exif(), "image/jpeg")})

    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] * 7 + [201], [a.text for a in answers if a.status_code >= 300][:3]
    assert len({a.json()["id"] for a in answers}) == 1
    with live_server.session() as session:
        assert session.scalar(select(func.count()).select_from(Photo).where(
            Photo.client_id == photo_client_id)) == 1
