"""HJ 212-2017 (污染物在线监控（监测）系统数据传输标准) packets: framing, CRC, parsing, answers.

Nothing here touches a database or a socket. A packet on the wire is

    ## + 4-digit data-segment length + data segment + 4 hex digits CRC + CR LF

and the data segment is ``QN=...;ST=..;CN=....;PW=......;MN=...;Flag=.;[PNUM=.;PNO=.;]CP=&&...&&``.
The length counts the data segment's characters (ASCII); the standard allows 0..1024.

The CRC is the one the standard prints in its annex, not CRC-16/MODBUS: the register starts at 0xFFFF
and each byte is XORed into the register's *high byte shifted down* (``crc = (crc >> 8) ^ byte``),
then eight shifts right with the reflected polynomial 0xA001. Its own example (CN 1062,
``RtdInterval=30``) gives 1C80; the tests check that and the other example packets.

``Flag`` is a bit field: bit 0 (A) asks for an answer, bit 1 (D) says the packet is one part of a
split message (``PNUM``/``PNO`` follow), bits 2..7 the protocol version (000001 for 2017: Flag 4 or 5).
Each part of a split upload carries its own DataTime and a share of the values, so every part is
stored as it comes; nothing waits for the other parts.
An upload that asks for an answer gets CN 9014 (data response) with the same QN, ST 91.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from ecogrid.core.time import BEIJING

MAX_SEGMENT = 1024
HEADER = b"##"
TRAILER = b"\r\n"
FRAME_OVERHEAD = len(HEADER) + 4 + 4 + len(TRAILER)

# Upload commands with values: real-time, minute, hourly, daily data.
DATA_COMMANDS = {"2011": "rtd", "2051": "minute", "2061": "hour", "2031": "day"}
# The value a data packet carries per interval: real-time value, else the interval's average.
VALUE_FIELD = {"rtd": "Rtd", "minute": "Avg", "hour": "Avg", "day": "Avg"}
DATA_RESPONSE_CN = "9014"
SYSTEM_INTERACTION_ST = "91"
FLAG_ANSWER = 0b01
FLAG_SPLIT = 0b10
VERSION_2017 = 1

_HEADER_FIELDS = ("QN", "ST", "CN", "PW", "MN", "Flag", "PNUM", "PNO")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_CODE = re.compile(r"^[A-Za-z0-9]{1,16}$")


class PacketError(ValueError):
    """A packet that cannot be used; ``reason`` is a short code for logs and counters."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message


def crc16(data: bytes) -> int:
    """The HJ 212-2017 check value of ``data`` (the data segment's bytes)."""
    register = 0xFFFF
    for byte in data:
        register = (register >> 8) ^ byte
        for _ in range(8):
            carry = register & 1
            register >>= 1
            if carry:
                register ^= 0xA001
    return register


def frame(segment: str) -> bytes:
    """The wire form of a data segment: header, length, segment, CRC, CR LF."""
    body = segment.encode("ascii")
    if len(body) > MAX_SEGMENT:
        raise PacketError("too_long", f"data segment of {len(body)} characters; at most {MAX_SEGMENT}")
    return HEADER + f"{len(body):04d}".encode() + body + f"{crc16(body):04X}".encode() + TRAILER


@dataclass(frozen=True)
class Packet:
    qn: str | None
    st: str
    cn: str
    pw: str
    mn: str
    flag: int
    cp: dict[str, dict[str, str]]  # pollutant code -> {field: text}, e.g. {"a21026": {"Rtd": "58", "Flag": "N"}}
    cp_fields: dict[str, str]  # CP fields without a pollutant, e.g. DataTime, RtdInterval
    pnum: int | None = None
    pno: int | None = None
    notes: tuple[str, ...] = ()

    @property
    def wants_answer(self) -> bool:
        return bool(self.flag & FLAG_ANSWER)

    @property
    def interval(self) -> str | None:
        """rtd / minute / hour / day for a data upload, else None."""
        return DATA_COMMANDS.get(self.cn)

    @property
    def data_time(self) -> datetime | None:
        text = self.cp_fields.get("DataTime")
        return parse_time(text) if text else None


@dataclass(frozen=True)
class Value:
    """One pollutant's value in a data packet."""

    code: str
    value: float
    flag: str
    min: float | None = None
    max: float | None = None
    cou: float | None = None


def parse_time(text: str) -> datetime:
    """``YYYYMMDDhhmmss`` (optionally with milliseconds, as in QN) in Beijing time, as the standard writes."""
    if not re.fullmatch(r"\d{14}(\d{3})?", text):
        raise PacketError("bad_time", f"time {text!r} is not YYYYMMDDhhmmss")
    try:
        moment = datetime.strptime(text[:14], "%Y%m%d%H%M%S")
    except ValueError:
        raise PacketError("bad_time", f"time {text!r} is not a calendar time") from None
    return moment.replace(tzinfo=BEIJING)


def parse_frame(raw: bytes) -> Packet:
    """A whole frame (``##`` .. CR LF) to a Packet; PacketError says why not."""
    if not raw.startswith(HEADER):
        raise PacketError("no_header", "a packet starts with ##")
    if not raw.endswith(TRAILER):
        raise PacketError("no_trailer", "a packet ends with CR LF")
    length_text = raw[2:6]
    if not length_text.isdigit():
        raise PacketError("bad_length", f"data segment length {length_text!r} is not 4 digits")
    length = int(length_text)
    if length > MAX_SEGMENT:
        raise PacketError("too_long", f"data segment of {length} characters; at most {MAX_SEGMENT}")
    if len(raw) != length + FRAME_OVERHEAD:
        raise PacketError("bad_length", f"declared {length} characters, got {len(raw) - FRAME_OVERHEAD}")
    body = raw[6:6 + length]
    sent_crc = raw[6 + length:10 + length]
    try:
        sent = int(sent_crc.decode("ascii"), 16)
    except ValueError:
        raise PacketError("bad_crc", f"CRC {sent_crc!r} is not 4 hex digits") from None
    if sent != crc16(body):
        raise PacketError("bad_crc", f"CRC {sent_crc.decode('ascii')} does not match {crc16(body):04X}")
    try:
        segment = body.decode("ascii")
    except UnicodeDecodeError:
        raise PacketError("not_ascii", "the data segment is not ASCII") from None
    return parse_segment(segment)


def parse_segment(segment: str) -> Packet:
    """The data segment (between the length and the CRC) to a Packet."""
    head, sep, rest = segment.partition("CP=&&")
    if not sep or not rest.endswith("&&"):
        raise PacketError("no_cp", "the data segment has no CP=&&...&&")
    fields: dict[str, str] = {}
    for part in head.split(";"):
        if not part:
            continue
        name, eq, value = part.partition("=")
        if not eq or name not in _HEADER_FIELDS:
            raise PacketError("bad_header", f"unexpected header field {part[:32]!r}")
        if name in fields:
            raise PacketError("bad_header", f"{name} given twice")
        fields[name] = value
    for name in ("ST", "CN", "PW", "MN"):
        if not fields.get(name):
            raise PacketError("bad_header", f"{name} is missing")
    if not re.fullmatch(r"\d{4}", fields["CN"]):
        raise PacketError("bad_header", f"CN {fields['CN'][:16]!r} is not 4 digits")
    flag = _int_field(fields, "Flag", default=0) or 0
    if not 0 <= flag <= 255:
        raise PacketError("bad_header", f"Flag {flag} is not one byte")
    pnum, pno = _int_field(fields, "PNUM", default=None), _int_field(fields, "PNO", default=None)
    header_notes = []
    if (pnum is None) != (pno is None) or (pnum is not None and pno is not None and not 1 <= pno <= pnum):
        raise PacketError("bad_header", "PNUM and PNO come together, with 1 <= PNO <= PNUM")
    if flag & FLAG_SPLIT and pnum is None:
        # The standard's own real-time example sets D (Flag=7) without PNUM/PNO: read it as whole.
        header_notes.append("Flag says split but PNUM/PNO are missing; read as one packet")
    qn = fields.get("QN")
    if qn is not None and not re.fullmatch(r"\d{17}", qn):
        raise PacketError("bad_header", f"QN {qn[:24]!r} is not YYYYMMDDhhmmsszzz")
    cp, cp_fields, notes = _parse_cp(rest[:-2])
    notes = header_notes + notes
    return Packet(qn=qn, st=fields["ST"], cn=fields["CN"], pw=fields["PW"], mn=fields["MN"], flag=flag,
                  cp=cp, cp_fields=cp_fields, pnum=pnum, pno=pno, notes=tuple(notes))


def _int_field(fields: dict[str, str], name: str, *, default: int | None) -> int | None:
    text = fields.get(name)
    if text is None:
        return default
    if not text.isdigit() or len(text) > 4:
        raise PacketError("bad_header", f"{name} {text[:8]!r} is not a number")
    return int(text)


def _parse_cp(cp: str) -> tuple[dict[str, dict[str, str]], dict[str, str], list[str]]:
    """Groups split by ';', items by ','; ``code-Field=value`` belongs to a pollutant, ``Name=value`` not.

    An item in neither form is noted and skipped, not fatal: the standard's own real-time example
    carries the typo ``LA-td=50.1``, and stations copy it.
    """
    values: dict[str, dict[str, str]] = {}
    plain: dict[str, str] = {}
    notes: list[str] = []
    for group in cp.split(";"):
        for item in group.split(","):
            if not item:
                continue
            key, eq, value = item.partition("=")
            if not eq or not key:
                notes.append(f"item {item[:32]!r} is not name=value")
                continue
            code, dash, name = key.rpartition("-")
            if dash and code and name:
                if not _CODE.fullmatch(code):
                    notes.append(f"pollutant code {code[:20]!r} is not a code")
                    continue
                values.setdefault(code, {})[name] = value
            else:
                plain[key] = value
    return values, plain, notes


def values_of(packet: Packet) -> tuple[list[Value], list[str]]:
    """The pollutant values of a data upload (CN 2011/2051/2061/2031), with notes on what was skipped."""
    interval = packet.interval
    if interval is None:
        raise PacketError("not_data", f"CN {packet.cn} carries no monitoring data")
    main = VALUE_FIELD[interval]
    out: list[Value] = []
    notes: list[str] = []
    for code, fields in packet.cp.items():
        if main not in fields:
            notes.append(f"{code}: no {main} value ({', '.join(sorted(fields))})")
            continue
        value = _number(fields[main])
        if value is None:
            notes.append(f"{code}: {main} {fields[main][:16]!r} is not a number")
            continue
        out.append(Value(code=code, value=value, flag=(fields.get("Flag") or "N")[:2],
                         min=_number(fields.get("Min")), max=_number(fields.get("Max")),
                         cou=_number(fields.get("Cou"))))
    return out, notes


def _number(text: str | None) -> float | None:
    if text is None or not _NUMBER.fullmatch(text):
        return None
    return float(text)


def data_response(packet: Packet) -> bytes:
    """CN 9014, the answer to an upload that asked for one: same QN, PW and MN, no answer asked back."""
    flag = (VERSION_2017 << 2) | 0
    qn = f"QN={packet.qn};" if packet.qn else ""
    return frame(f"{qn}ST={SYSTEM_INTERACTION_ST};CN={DATA_RESPONSE_CN};PW={packet.pw};MN={packet.mn};"
                 f"Flag={flag};CP=&&&&")


@dataclass
class FrameReader:
    """Cuts a byte stream into frames. The buffer never holds more than one frame's worth: bytes that
    cannot start a frame are dropped (and counted), and a declared length beyond the standard's is
    refused at once instead of waited for.

    ``feed`` returns complete frames and the errors met, in order; a frame split across reads waits
    for its rest.
    """

    max_segment: int = MAX_SEGMENT
    buffer: bytearray = field(default_factory=bytearray)
    dropped: int = 0

    def feed(self, data: bytes) -> list[bytes | PacketError]:
        self.buffer += data
        out: list[bytes | PacketError] = []
        while True:
            start = self.buffer.find(HEADER)
            if start < 0:
                # Keep a trailing '#': it may be the first half of the next header.
                keep = 1 if self.buffer.endswith(b"#") else 0
                self._drop(len(self.buffer) - keep)
                return out
            if start:
                self._drop(start)
                out.append(PacketError("garbage", f"{start} bytes before ##"))
            if len(self.buffer) < 6:
                return out
            length_text = bytes(self.buffer[2:6])
            if not length_text.isdigit() or int(length_text) > self.max_segment:
                self._drop(2)
                out.append(PacketError("bad_length", f"data segment length {length_text!r}"))
                continue
            total = int(length_text) + FRAME_OVERHEAD
            if len(self.buffer) < total:
                return out
            candidate = bytes(self.buffer[:total])
            if not candidate.endswith(TRAILER):
                # Not a frame after all: resynchronise on the next ## rather than trust the length.
                self._drop(2)
                out.append(PacketError("no_trailer", "no CR LF where the declared length ends"))
                continue
            del self.buffer[:total]
            out.append(candidate)

    def _drop(self, n: int) -> None:
        if n > 0:
            del self.buffer[:n]
            self.dropped += n
