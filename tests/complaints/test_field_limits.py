"""A complaint field's length limit is one rule: the API, intake (Open311 and the API's own service) and
the bulk import accept a value of exactly the limit and refuse one character more, naming the same field."""

from __future__ import annotations

import csv

import pytest
from sqlalchemy import text

from ecogrid.complaints import bulk_import, intake, limits
from ecogrid.core.errors import InvalidInput
from tests.complaints.test_bulk_import import HEADER, MAPPING, row
from tests.complaints.test_views import body
from tests.zones.test_service import seed_zones

# Where each field sits in a row of the bulk import's test file.
COLUMN = {field: HEADER.index(column) for field, column in MAPPING.items()}
FIELDS = sorted(limits.MAX_LENGTHS)


def value_of(field: str, length: int) -> str:
    return ("1" if field == "complainant_phone" else "字") * length


@pytest.fixture
def clerk(auth):
    return auth("clerk")


@pytest.mark.parametrize("field", FIELDS)
def test_the_api_takes_the_limit_and_refuses_one_more_naming_the_field(db, client, clerk, field):
    seed_zones(db)
    limit = limits.MAX_LENGTHS[field]
    fits = client.post("/api/v1/complaints", json=body(**{field: value_of(field, limit)}), headers=clerk)
    assert fits.status_code == 201, fits.text
    before = db.scalar(text("SELECT count(*) FROM complaints"))
    r = client.post("/api/v1/complaints", json=body(**{field: value_of(field, limit + 1)}), headers=clerk)
    assert r.status_code == 422, r.text
    assert [e["loc"][-1] for e in r.json()["detail"]] == [field]
    assert db.scalar(text("SELECT count(*) FROM complaints")) == before


@pytest.mark.parametrize("field", FIELDS)
def test_intake_takes_the_limit_and_refuses_one_more_naming_the_field(field):
    limit = limits.MAX_LENGTHS[field]

    def complaint(length: int) -> intake.ComplaintIn:
        data = intake.ComplaintIn(channel="open311", kind="complaint", category="odour", description="异味",
                                  lon=120.002, lat=36.002)
        setattr(data, field, value_of(field, length))
        return data

    assert getattr(intake.validate(complaint(limit)), field) == value_of(field, limit)
    with pytest.raises(InvalidInput) as refused:
        intake.validate(complaint(limit + 1))
    assert refused.value.field == field


def test_the_bulk_import_takes_the_limit_and_refuses_one_more_naming_the_field(db, tmp_path):
    seed_zones(db)
    rows = []
    for n, field in enumerate(FIELDS):
        for extra in (0, 1):
            line = row(f"L{n}-{extra}", minutes=2 * n + extra, lon=120.002)
            line[COLUMN[field]] = value_of(field, limits.MAX_LENGTHS[field] + extra)
            rows.append(line)
    path = tmp_path / "export.csv"
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    report, _ = bulk_import.import_csv(db, path=path, mapping=MAPPING)
    # Row 1 is the header: data row k is file row k + 1; every second row is the one character too many.
    refused = sorted((e.row, e.field) for e in report.errors)
    assert refused == [(2 * n + 3, field) for n, field in enumerate(FIELDS)]
    assert all(str(limits.MAX_LENGTHS[e.field]) in e.reason for e in report.errors)
    assert report.stored == len(FIELDS)

