"""The RealMan controller on the wire: JSON lines over TCP, and the UDP real-time push.

Framing follows ``facts/realman_protocol.md`` §1: a request is one JSON object ended by ``\\r\\n``
(a line without it is not acted on); every reply is one compact JSON object ended by ``\\r\\n``.
Unsolicited move-arrival messages go to the connection that commanded the move. The UDP push,
when enabled by ``set_realtime_push``, is sent every ``cycle`` x 5 ms (simulated) to the configured
port on the host holding the TCP connection (the mock never sends to another host).
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from maniptrans_sim.mock.faults import LinkFaults
from maniptrans_sim.mock.realman.controller import RealmanController

_LOG = logging.getLogger(__name__)
_MAX_LINE = 65536  # bytes buffered without a CRLF before the buffer is discarded


@dataclass(eq=False)
class Session:
    """One TCP client."""

    writer: asyncio.StreamWriter
    peer: tuple[str, int]
    closed: bool = False
    requests: int = field(default=0)


class RealmanServer:
    """Serves one `RealmanController` on ``host:port`` (port 0 = any free port, see `port`)."""

    def __init__(
        self,
        controller: RealmanController,
        faults: LinkFaults,
        host: str = "127.0.0.1",
        port: int = 0,
        speed: float = 1.0,
    ) -> None:
        self.controller = controller
        self.faults = faults
        self.host = host
        self.port = port
        self.speed = speed  # simulated seconds per wall second (0 = unpaced)
        self.sessions: list[Session] = []
        self._server: asyncio.AbstractServer | None = None
        self._udp: asyncio.DatagramTransport | None = None
        self._push_task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        controller.event_sink = self._event_from_any_thread

    async def start(self) -> None:
        """Bind and start serving; afterwards `port` holds the bound port."""
        self._loop = asyncio.get_running_loop()
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        self._udp, _ = await self._loop.create_datagram_endpoint(
            asyncio.DatagramProtocol, local_addr=(self.host, 0)
        )
        self._push_task = asyncio.create_task(self._push_loop())

    async def close(self) -> None:
        """Stop accepting, close every session and the UDP socket."""
        if self._push_task is not None:
            self._push_task.cancel()
        if self._server is not None:
            self._server.close()
        for s in list(self.sessions):
            self._close_session(s)
        if self._udp is not None:
            self._udp.close()

    # ------------------------------------------------------------------ TCP
    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")[:2]
        session = Session(writer, peer)
        self.sessions.append(session)
        buf = b""
        try:
            while not session.closed:
                data = await reader.read(65536)
                if not data:
                    break
                buf += data
                while b"\r\n" in buf and not session.closed:
                    line, buf = buf.split(b"\r\n", 1)
                    self._on_line(session, line)
                if len(buf) > _MAX_LINE:
                    _LOG.warning(
                        "%s: %d bytes without CRLF discarded", self.faults.target, len(buf)
                    )
                    buf = b""
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._close_session(session)

    def _on_line(self, session: Session, line: bytes) -> None:
        if not line.strip():
            return
        try:
            request = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError):
            _LOG.warning("%s: not JSON, ignored: %r", self.faults.target, line[:80])
            return
        if not isinstance(request, dict):
            return
        session.requests += 1
        if self.faults.on_request():
            self._close_session(session)
            return
        reply = self.controller.handle(request, session)
        if reply is not None:
            self._send(session, reply, str(request.get("command")))

    def _send(self, session: Session, message: dict[str, Any], what: str) -> None:
        body = self.faults.on_reply(json.dumps(message, separators=(",", ":")).encode(), what)
        if body is None or session.closed:
            return
        payload = body + b"\r\n"
        latency = self.faults.latency
        if latency > 0 and self._loop is not None:
            self._loop.call_later(latency, self._write, session, payload)
        else:
            self._write(session, payload)

    def _write(self, session: Session, payload: bytes) -> None:
        if not session.closed and not session.writer.is_closing():
            session.writer.write(payload)

    def _close_session(self, session: Session) -> None:
        if session in self.sessions:
            self.sessions.remove(session)
        session.closed = True
        if not session.writer.is_closing():
            session.writer.close()

    def _event_from_any_thread(self, session: Any, message: dict[str, Any]) -> None:
        if self._loop is None or not isinstance(session, Session):
            return
        self._loop.call_soon_threadsafe(self._send, session, message, message.get("state", ""))

    # ------------------------------------------------------------------ UDP push
    async def _push_loop(self) -> None:
        while True:
            push = self.controller.push
            period = max(push.cycle, 1) * 0.005
            await asyncio.sleep(period / self.speed if self.speed > 0 else period)
            if not push.enable or not self.sessions or self._udp is None:
                continue
            host = self.sessions[-1].peer[0]
            data = json.dumps(self.controller.push_message(), separators=(",", ":")).encode()
            self._udp.sendto(data, (host, push.port))
