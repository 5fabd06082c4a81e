"""The shipped CSV template imports as it is, with no mapping, over HTTP and through the command."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from ecogrid.core.models import Complaint
from tests.complaints.test_import_mapping import count, run, zoned_url  # noqa: F401 (zoned_url is a fixture)
from tests.zones.test_service import seed_zones

TEMPLATE = Path(__file__).resolve().parents[2] / "examples" / "imports" / "complaints-template.csv"


def test_the_template_imports_over_http_without_a_mapping(db, client, auth):
    seed_zones(db)
    r = client.post("/api/v1/complaints/import", files={"file": (TEMPLATE.name, TEMPLATE.read_bytes())},
                    headers=auth("clerk"))
    assert r.status_code == 200, r.text
    assert (r.json()["rows"], r.json()["stored"], r.json()["refused"]) == (2, 2, 0)
    stored = {c.external_ref: c for c in db.scalars(select(Complaint))}
    assert stored["T-0001"].description == "晚上广场舞音响声音太大" and stored["T-0001"].zone_id is not None
    assert stored["T-0002"].urgency == "urgent" and stored["T-0002"].geom is None


def test_the_command_imports_the_template_and_exits_non_zero_naming_refused_rows(zoned_url, tmp_path):  # noqa: F811
    proc = run(zoned_url, TEMPLATE, "--check")
    assert proc.returncode == 0, proc.stderr
    assert "dry run, nothing stored: 2 rows: 2 would be stored" in proc.stdout and count(zoned_url) == 0
    broken = tmp_path / "template-gbk.csv"
    lines = TEMPLATE.read_text(encoding="utf-8-sig").splitlines()
    broken.write_bytes("\n".join([*lines, "T-0003,2024-07-19 10:00,hotline_12345,complaint,odour,ordinary,,,,,,,"])
                      .encode("gbk"))
    proc = run(zoned_url, broken)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "3 rows: 2 stored" in proc.stdout and "1 refused" in proc.stdout
