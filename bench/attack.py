"""A hostile neighbour for benchmarks: from one address (127.0.0.2 by default), hold ``idle``
Socket.IO connections on ``/live`` (joined with a tracking code, as anyone holding a ticket
can) and ``slow`` HTTP connections that send their headers a byte a second. Runs in its own
process until told to stop; reports how many of each it holds."""

from __future__ import annotations

import json
import selectors
import socket
import time
from typing import Any

SOURCE = "127.0.0.2"


def _open_live(port: int, code: str, source: str) -> socket.socket | None:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(source, 0))
    sock.sendall(
        b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            sock.close()
            return None
        head += chunk
    if not head.startswith(b"HTTP/1.1 101"):
        sock.close()
        return None
    _send_text(sock, "40/live," + json.dumps({"track": code}))
    return sock


def _send_text(sock: socket.socket, text: str) -> None:
    data = text.encode()
    header = bytes([0x81])
    if len(data) < 126:
        header += bytes([0x80 | len(data)])
    else:
        header += bytes([0x80 | 126]) + len(data).to_bytes(2, "big")
    sock.sendall(header + b"\x00\x00\x00\x00" + data)  # masked with a zero key


def hold(port: int, code: str, idle: int, slow: int, pipe: Any, source: str = SOURCE) -> None:
    """Process entry point: open the connections, report ``(idle held, slow held)``, keep them
    (answering Engine.IO pings, trickling headers) until the pipe says stop."""
    live: list[socket.socket] = []
    for _ in range(idle):
        try:
            sock = _open_live(port, code, source)
        except OSError:
            sock = None
        if sock is not None:
            live.append(sock)
    trickle: list[socket.socket] = []
    for _ in range(slow):
        try:
            s = socket.create_connection(
                ("127.0.0.1", port), timeout=10, source_address=(source, 0)
            )
            s.sendall(b"G")
            trickle.append(s)
        except OSError:
            pass
    selector = selectors.DefaultSelector()
    for sock in live:
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ)
    pipe.send((len(live), len(trickle)))
    next_byte = time.monotonic() + 1
    while not pipe.poll(0):
        for key, _ in selector.select(0.2):
            try:
                data = key.fileobj.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data:
                selector.unregister(key.fileobj)
                continue
            if b"\x81\x012" in data:  # an Engine.IO ping: answer it
                key.fileobj.setblocking(True)
                _send_text(key.fileobj, "3")
                key.fileobj.setblocking(False)
        if time.monotonic() >= next_byte:
            next_byte += 1
            for s in trickle:
                try:
                    s.sendall(b"E")
                except OSError:
                    pass
    held = len(selector.get_map())
    for sock in live + trickle:
        sock.close()
    pipe.send(held)
