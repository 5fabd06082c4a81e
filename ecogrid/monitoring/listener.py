"""``ecogrid monitors listen``: the TCP server stations send HJ 212-2017 packets to (asyncio).

Per connection, bytes are cut into frames (``hj212.FrameReader``: a buffer of at most one frame),
each frame is checked (length, CRC, fields), its station found by MN and its password checked, and
its values stored and judged in a worker thread, one transaction a packet. An upload that asks for an
answer (Flag bit A) gets CN 9014 once its data is committed; so a station resends what was not
stored, and a resent packet stores nothing twice.

A packet that is malformed or not authenticated is logged (reason, peer, MN) and refused: no answer,
nothing stored. Nothing a client sends stops the server: every error ends at most that connection.
Floods are bounded: connections at once, packets stored at once (the rest wait, and TCP pushes back
on their senders), refused packets and bytes of garbage per connection, silence per connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from dataclasses import dataclass

from ecogrid.core.database import Database
from ecogrid.core.settings import Settings
from ecogrid.monitoring import hj212, ingest

log = logging.getLogger("ecogrid.monitoring.listener")
READ_CHUNK = 4096


@dataclass
class Connection:
    peer: str
    refusals: int = 0
    frames: hj212.FrameReader | None = None


class Listener:
    def __init__(self, database: Database, settings: Settings) -> None:
        self.database = database
        self.settings = settings
        self.stats: Counter[str] = Counter()
        self.open_connections = 0
        self._writes = asyncio.Semaphore(settings.monitoring_max_concurrent_writes)
        self.server: asyncio.Server | None = None

    async def start(self, host: str | None = None, port: int | None = None) -> asyncio.Server:
        self.server = await asyncio.start_server(
            self._handle, host or self.settings.monitoring_listen_host,
            self.settings.monitoring_listen_port if port is None else port)
        return self.server

    @property
    def port(self) -> int:
        assert self.server is not None
        return self.server.sockets[0].getsockname()[1]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = _peer(writer)
        if self.open_connections >= self.settings.monitoring_max_connections:
            self.stats["connections_refused"] += 1
            log.warning("refused connection from %s: %d open", peer, self.open_connections)
            writer.close()
            return
        self.open_connections += 1
        self.stats["connections"] += 1
        connection = Connection(peer, frames=hj212.FrameReader())
        try:
            await self._serve(connection, reader, writer)
        except (ConnectionError, OSError, asyncio.IncompleteReadError):
            self.stats["connections_lost"] += 1
        except Exception:  # a bug must end this connection only, never the server
            self.stats["connection_errors"] += 1
            log.exception("connection from %s failed", peer)
        finally:
            self.open_connections -= 1
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    async def _serve(self, connection: Connection, reader: asyncio.StreamReader,
                     writer: asyncio.StreamWriter) -> None:
        frames = connection.frames
        assert frames is not None
        while True:
            try:
                data = await asyncio.wait_for(reader.read(READ_CHUNK), timeout=self.settings.monitoring_idle_timeout_s)
            except TimeoutError:
                self.stats["idle_closed"] += 1
                return
            if not data:
                return
            for item in frames.feed(data):
                if isinstance(item, hj212.PacketError):
                    self._refuse(connection, item.reason, item.message, mn=None)
                    continue
                answer = await self._packet(connection, item)
                if answer is not None:
                    writer.write(answer)
                    await writer.drain()
            if frames.dropped > self.settings.monitoring_max_garbage_bytes:
                log.warning("closing %s: %d bytes that are not packets", connection.peer, frames.dropped)
                self.stats["garbage_closed"] += 1
                return
            if connection.refusals >= self.settings.monitoring_max_refusals:
                log.warning("closing %s: %d packets refused", connection.peer, connection.refusals)
                self.stats["refusals_closed"] += 1
                return

    async def _packet(self, connection: Connection, raw: bytes) -> bytes | None:
        try:
            packet = hj212.parse_frame(raw)
        except hj212.PacketError as exc:
            self._refuse(connection, exc.reason, exc.message, mn=None)
            return None
        async with self._writes:
            outcome = await asyncio.to_thread(self._store, packet)
        if not outcome.accepted:
            self._refuse(connection, outcome.reason or "refused", outcome.message, mn=packet.mn)
            return None
        self.stats["packets_accepted"] += 1
        self.stats["readings_stored"] += outcome.stored
        self.stats["readings_duplicate"] += outcome.duplicates
        self.stats["alarms"] += len(outcome.alarm_ids)
        if packet.wants_answer and packet.interval is not None:
            self.stats["answers"] += 1
            return hj212.data_response(packet)
        return None

    def _store(self, packet: hj212.Packet) -> ingest.Outcome:
        with self.database.sessionmaker() as session:
            try:
                outcome = ingest.accept_packet(session, packet=packet, settings=self.settings)
                if outcome.accepted:
                    session.commit()
                else:
                    session.rollback()
                return outcome
            except Exception:
                session.rollback()
                log.exception("storing a packet from MN %s failed", packet.mn)
                return ingest.refused("store_failed", "the packet could not be stored")

    def _refuse(self, connection: Connection, reason: str, message: str, *, mn: str | None) -> None:
        connection.refusals += 1
        self.stats["refused"] += 1
        self.stats[f"refused_{reason}"] += 1
        log.warning("refused packet from %s (MN %s): %s: %s", connection.peer, mn or "-", reason, message)

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


def _peer(writer: asyncio.StreamWriter) -> str:
    info = writer.get_extra_info("peername")
    return f"{info[0]}:{info[1]}" if isinstance(info, tuple) and len(info) >= 2 else "?"


async def serve(database: Database, settings: Settings, *, host: str | None = None, port: int | None = None) -> None:
    listener = Listener(database, settings)
    server = await listener.start(host, port)
    log.info("listening for HJ 212 packets on %s", ", ".join(str(s.getsockname()) for s in server.sockets))
    async with server:
        await server.serve_forever()
