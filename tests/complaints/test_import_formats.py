"""Reading hotline exports: encodings, .xlsx sheets, the date forms of real platforms, mapping files."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from ecogrid.complaints import import_mapping as mappings
from ecogrid.complaints import import_readers as readers
from ecogrid.complaints.import_dates import AMBIGUOUS, CONFLICTING, DateColumn
from ecogrid.core.errors import InvalidInput

SHANGHAI = ZoneInfo("Asia/Shanghai")
CSV_TEXT = "工单编号,诉求类型,受理时间\nGD1,噪声污染,2024/7/19 10:23\n"


def parse(texts: list[str], fmt: str | None = None, zone: ZoneInfo = SHANGHAI):
    return DateColumn(received_at_format=fmt, zone=zone).parse(texts)


@pytest.mark.parametrize(("data", "encoding"), [
    (CSV_TEXT.encode("utf-8"), "utf-8"),
    (b"\xef\xbb\xbf" + CSV_TEXT.encode("utf-8"), "utf-8"),
    (CSV_TEXT.encode("gbk"), "gb18030"),
    (CSV_TEXT.encode("gb18030"), "gb18030"),
])
def test_utf8_with_or_without_bom_and_gbk_are_detected(data, encoding):
    table = readers.read_table(data)
    assert table.header == ["工单编号", "诉求类型", "受理时间"]  # no BOM left on the first column
    assert table.rows == [["GD1", "噪声污染", "2024/7/19 10:23"]] and table.encoding == encoding


def test_a_named_encoding_wins_over_detection():
    data = "ref,text\nR1,café\n".encode()
    assert readers.read_table(data).rows == [["R1", "café"]]
    assert readers.read_table(data, encoding="latin-1").rows == [["R1", "cafÃ©"]]


def test_a_file_in_neither_encoding_is_refused_with_a_clear_error():
    with pytest.raises(InvalidInput, match="neither UTF-8 nor GBK") as caught:
        readers.read_table(b"ref,text\nR1,\x80\xff\n")
    assert caught.value.field == "encoding"
    with pytest.raises(InvalidInput, match="not valid utf-8"):
        readers.read_table(CSV_TEXT.encode("gbk"), encoding="utf-8")


def test_blank_records_are_skipped_but_keep_the_row_numbers_a_spreadsheet_shows():
    table = readers.read_table(b"a,b\n1,2\n\n,\n3\n")
    assert table.rows == [["1", "2"], ["3", ""]] and table.numbers == [2, 5]


def xlsx(sheets: dict[str, list[list[object]]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        ws = book.create_sheet(title)
        for row in rows:
            ws.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_reads_the_named_or_first_sheet_with_cells_as_text():
    data = xlsx({"说明": [["导出说明"]],
                 "工单": [["工单编号", "受理时间", "经度", "联系电话", None],
                          ["GD1", datetime(2024, 7, 19, 10, 23), 120.0073, 13905320001],
                          [None, None, None, None],
                          ["GD2", "2024/7/19 11:02", None, "0532-1234"]]})
    first = readers.read_table(data)
    assert first.kind == "xlsx" and first.header == ["导出说明"]
    table = readers.read_table(data, sheet="工单")
    assert table.header == ["工单编号", "受理时间", "经度", "联系电话"]
    assert [r[:4] for r in table.rows] == [["GD1", "2024-07-19 10:23:00", "120.0073", "13905320001"],
                          ["GD2", "2024/7/19 11:02", "", "0532-1234"]]
    assert table.numbers == [2, 4]
    with pytest.raises(InvalidInput, match="no sheet '汇总'.*说明, 工单"):
        readers.read_table(data, sheet="汇总")


def test_old_xls_and_damaged_xlsx_files_are_refused_clearly():
    with pytest.raises(InvalidInput, match=r"\.xls"):
        readers.read_table(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    with pytest.raises(InvalidInput, match="not a readable .xlsx"):
        readers.read_table(b"PK\x03\x04 not really a zip")


def test_the_common_forms_are_recognised_without_a_format():
    texts = ["2024-07-19T10:23:00+08:00", "2024-07-19 10:23", "2024-07-19 10:23:00", "2024/7/19 10:23",
             "2024年7月19日 10时23分", "2024年7月19日10:23", "45492.432638888889"]
    values, refused = parse(texts)
    assert refused == {}
    assert set(values) == {datetime(2024, 7, 19, 2, 23, tzinfo=UTC)}


def test_excel_serial_dates_by_format_or_recognised():
    values, refused = parse(["45492.5", "45492"], fmt="excel")
    assert refused == {}
    assert values == [datetime(2024, 7, 19, 4, 0, tzinfo=UTC), datetime(2024, 7, 18, 16, 0, tzinfo=UTC)]
    # A bare four-digit number is a year, never a serial date.
    assert parse(["2024"])[1] == {0: "not a date and time in a recognised form (set received_at_format)"}


def test_an_ambiguous_day_and_month_order_is_refused_not_guessed():
    values, refused = parse(["03/04/2024 10:00", "05/06/2024 11:00", "07/07/2024 09:00"])
    assert refused == {0: AMBIGUOUS, 1: AMBIGUOUS}
    assert values[2] == datetime(2024, 7, 7, 1, 0, tzinfo=UTC)  # same day and month: not ambiguous


def test_the_file_settles_the_order_when_one_value_shows_it():
    values, refused = parse(["03/04/2024 10:00", "02/28/2023 07:43:45 PM"])
    assert refused == {}
    assert values == [datetime(2024, 3, 4, 2, 0, tzinfo=UTC), datetime(2023, 2, 28, 11, 43, 45, tzinfo=UTC)]
    values, refused = parse(["03/04/2024 10:00", "28/02/2023 19:43"])
    assert refused == {} and values[0] == datetime(2024, 4, 3, 2, 0, tzinfo=UTC)
    values, refused = parse(["03/04/2024 10:00", "28/02/2023 19:43", "02/28/2023 19:43"])
    assert refused == {0: CONFLICTING} and None not in values[1:]


def test_a_configured_format_and_time_zone_are_used():
    new_york = ZoneInfo("America/New_York")
    values, refused = parse(["02/28/2023 07:43:45 PM", "2023-02-28 19:43"], fmt="%m/%d/%Y %I:%M:%S %p",
                            zone=new_york)
    assert values[0] == datetime(2023, 3, 1, 0, 43, 45, tzinfo=UTC)
    assert refused == {1: "does not match the received_at_format '%m/%d/%Y %I:%M:%S %p'"}


def test_wall_clock_times_follow_the_zones_clock_changes():
    new_york = ZoneInfo("America/New_York")
    values, refused = parse(["3/12/2023 01:30", "3/12/2023 03:30", "11/5/2023 00:30", "11/5/2023 02:30",
                             "11/13/2023 09:00"], zone=new_york)
    assert refused == {} and values == [
        datetime(2023, 3, 12, 6, 30, tzinfo=UTC), datetime(2023, 3, 12, 7, 30, tzinfo=UTC),  # EST, then EDT
        datetime(2023, 11, 5, 4, 30, tzinfo=UTC), datetime(2023, 11, 5, 7, 30, tzinfo=UTC),  # EDT, then EST
        datetime(2023, 11, 13, 14, 0, tzinfo=UTC)]


def test_future_times_are_refused_like_single_intake():
    _, refused = parse(["2999-01-01 00:00"])
    assert refused == {0: "received_at lies in the future"}


def test_mapping_file_sections_are_checked_when_loaded(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"fields": {"external_ref": "Unique Key", "description": ["A", "B"]},
                                "values": {"category": {"Noise - Residential": "noise_social", "*": None}},
                                "defaults": {"channel": "hotline_12345"}, "timezone": "America/New_York"}))
    mapping = mappings.load(mapping_file=path, pairs=["lon=Longitude"], received_at_format="%m/%d/%Y")
    assert mapping.columns("description") == ("A", "B") and mapping.columns("lon") == ("Longitude",)
    assert mapping.columns("lat") == ("lat",) and mapping.values["category"]["*"] is None
    assert mapping.timezone == "America/New_York" and mapping.received_at_format == "%m/%d/%Y"
    for document, message in [
        ({"values": {"category": {"噪声": "noise"}}}, "unknown category code"),
        ({"values": {"description": {"a": "b"}}}, "only channel, kind, category"),
        ({"fields": {"colour": "C"}}, "unknown field"),
        ({"field": {"lon": "x"}, "sheet": "s"}, "unknown key"),
        ({"defaults": {"kind": "complain"}}, "defaults.kind"),
        ({"timezone": "Beijing"}, "unknown time zone"),
        ({"encoding": "gbkk"}, "unknown encoding"),
    ]:
        path.write_text(json.dumps(document, ensure_ascii=False))
        with pytest.raises(InvalidInput, match=message):
            mappings.load(mapping_file=path)


def test_yaml_mapping_and_the_older_flat_form_are_read(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("fields:\n  external_ref: 工单编号\nvalues:\n  category:\n    噪声污染: noise_social\n"
                    "    停车: ~\nreceived_at_format: excel\n", encoding="utf-8")
    mapping = mappings.load(mapping_file=path)
    assert mapping.values["category"] == {"噪声污染": "noise_social", "停车": None}
    assert mapping.received_at_format == "excel" and mapping.columns("external_ref") == ("工单编号",)
    flat = tmp_path / "flat.json"
    flat.write_text(json.dumps({"external_ref": "工单号", "lon": "经度"}, ensure_ascii=False))
    assert mappings.load(mapping_file=flat).columns("lon") == ("经度",)
