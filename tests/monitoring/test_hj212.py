from __future__ import annotations

from datetime import datetime

import pytest

from ecogrid.core.time import BEIJING
from ecogrid.monitoring import hj212
from tests.monitoring.support import ANNEX_1062, ANNEX_2011, ANNEX_9014, FIELD_2011_NO_QN, FIELD_2061


def test_crc_is_the_standards_own_not_modbus():
    segment = ANNEX_1062[6:-6]
    assert hj212.crc16(segment) == 0x1C80
    # CRC-16/MODBUS of the same bytes differs: the standard shifts the register's high byte down first.
    modbus = 0xFFFF
    for byte in segment:
        modbus ^= byte
        for _ in range(8):
            modbus = (modbus >> 1) ^ 0xA001 if modbus & 1 else modbus >> 1
    assert modbus != 0x1C80


@pytest.mark.parametrize("raw", [ANNEX_1062, ANNEX_2011, ANNEX_9014, FIELD_2061, FIELD_2011_NO_QN])
def test_published_packets_parse_with_their_crc(raw):
    packet = hj212.parse_frame(raw)
    assert packet.mn and packet.cn
    assert hj212.frame(raw[6:-6].decode()).upper() == raw.upper()


def test_realtime_example_gives_its_values_and_skips_the_typo():
    packet = hj212.parse_frame(ANNEX_2011)
    assert packet.interval == "rtd" and packet.wants_answer
    assert packet.data_time == datetime(2016, 8, 1, 8, 40, tzinfo=BEIJING)
    values, notes = hj212.values_of(packet)
    by_code = {v.code: v for v in values}
    assert by_code["a21026"].value == 58.0 and by_code["a21026"].flag == "N"
    assert by_code["a01008"].value == 120.0
    assert len(values) == 11
    assert any(n.startswith("LA:") for n in notes)  # "LA-td=50.1" in the standard itself


def test_answer_to_the_realtime_example_is_the_standards_9014():
    assert hj212.data_response(hj212.parse_frame(ANNEX_2011)) == ANNEX_9014


def test_hourly_packet_reads_averages():
    packet = hj212.parse_frame(FIELD_2061)
    assert packet.interval == "hour"
    values, _ = hj212.values_of(packet)
    assert {v.code: v.value for v in values}["a34049"] == pytest.approx(10.663)


@pytest.mark.parametrize(("raw", "reason"), [
    (ANNEX_1062.replace(b"1C80", b"1C81"), "bad_crc"),
    (ANNEX_1062.replace(b"##0101", b"##0100"), "bad_length"),
    (ANNEX_1062.replace(b"##0101", b"##01x1"), "bad_length"),
    (ANNEX_1062[:-2], "no_trailer"),
    (b"&#" + ANNEX_1062[2:], "no_header"),
    (hj212.frame("QN=20160801085857223;ST=32;CN=2011;PW=1;Flag=5;CP=&&DataTime=20160801084000&&"), "bad_header"),
    (hj212.frame("ST=32;CN=20X1;PW=1;MN=2;CP=&&&&"), "bad_header"),
    (hj212.frame("ST=32;CN=2011;PW=1;MN=2;Flag=5;CP=&&DataTime=1&&"), None),
    (hj212.frame("ST=32;CN=2011;PW=1;MN=2;Flag=5;PNUM=2;CP=&&&&"), "bad_header"),
    (hj212.frame("ST=32;CN=2011;PW=1;MN=2;Flag=5;PNUM=2;PNO=3;CP=&&&&"), "bad_header"),
    (hj212.frame("ST=32;CN=2011;PW=1;MN=2;Flag=5;CP=&&DataTime=20160801084000"), "no_cp"),
    (hj212.frame("ST=32;CN=2011;PW=1;MN=2;EVIL=1;CP=&&&&"), "bad_header"),
])
def test_malformed_packets_are_refused_with_a_reason(raw, reason):
    if reason is None:  # well formed; its DataTime is what is wrong
        with pytest.raises(hj212.PacketError) as refused:
            _ = hj212.parse_frame(raw).data_time
        assert refused.value.reason == "bad_time"
        return
    with pytest.raises(hj212.PacketError) as refused:
        hj212.parse_frame(raw)
    assert refused.value.reason == reason


def test_non_ascii_and_oversized_segments_are_refused():
    body = "ST=32;CN=2011;PW=1;MN=2;CP=&&名=1&&".encode()
    raw = b"##" + f"{len(body):04d}".encode() + body + f"{hj212.crc16(body):04X}".encode() + b"\r\n"
    with pytest.raises(hj212.PacketError) as refused:
        hj212.parse_frame(raw)
    assert refused.value.reason == "not_ascii"
    with pytest.raises(hj212.PacketError):
        hj212.frame("ST=32;CN=2011;PW=1;MN=2;CP=&&" + "a" * 1100 + "&&")


def test_a_packet_split_at_every_byte_comes_out_whole():
    for cut in range(1, len(ANNEX_2011)):
        reader = hj212.FrameReader()
        assert reader.feed(ANNEX_2011[:cut]) == []
        assert reader.feed(ANNEX_2011[cut:]) == [ANNEX_2011]
        assert not reader.buffer


def test_garbage_between_packets_is_dropped_and_counted():
    reader = hj212.FrameReader()
    out = reader.feed(b"\x00\xffGET / HTTP/1.1\r\n" + ANNEX_1062 + b"####xx" + ANNEX_2011)
    frames = [o for o in out if isinstance(o, bytes)]
    assert frames == [ANNEX_1062, ANNEX_2011]
    assert reader.dropped > 0
    assert any(isinstance(o, hj212.PacketError) and o.reason == "garbage" for o in out)


def test_a_declared_length_beyond_the_standard_is_refused_without_waiting():
    reader = hj212.FrameReader()
    out = reader.feed(b"##9999QN=1")
    assert [o.reason for o in out if isinstance(o, hj212.PacketError)] == ["bad_length"]
    assert len(reader.buffer) < 16


def test_the_buffer_stays_bounded_under_a_flood():
    reader = hj212.FrameReader()
    for _ in range(1000):
        reader.feed(b"x" * 4096)
        assert len(reader.buffer) <= 1
    # A frame that never ends holds at most one frame's worth.
    reader.feed(b"##1024" + b"a" * 1000)
    assert len(reader.buffer) <= 1024 + hj212.FRAME_OVERHEAD
