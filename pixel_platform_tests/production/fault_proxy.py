"""A small HTTP proxy in front of an S3 server that injects faults on chosen requests.

Threaded, bound to 127.0.0.1, bounded (every upstream call has a timeout; the proxy stops with
the test). Requests pass through unchanged - the Host header included, so SigV4 signatures
made for the proxy's address still verify upstream - except those the plan picks, which get:

* ``slowdown``: ``503 SlowDown`` (S3's throttling answer) without reaching the server;
* ``internal``: ``500 InternalError`` without reaching the server;
* ``reset``: the request is read, then the connection is reset (RST) with no answer;
* ``reset_body``: forwarded, then the answer's headers and half its body, then a reset.

The plan is a function of (request number, method, path); ``FaultProxy.log`` records what
happened to every request.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import struct
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Plan = Callable[[int, str, str], str | None]  # -> a fault name, or None to pass through
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "expect", "proxy-connection", "te"}
UPSTREAM_TIMEOUT_S = 30.0

S3_ERRORS = {
    "slowdown": (503, "SlowDown", "Please reduce your request rate."),
    "internal": (500, "InternalError", "We encountered an internal error. Please try again."),
}


@dataclass
class FaultProxy:
    upstream: str  # host:port
    plan: Plan
    log: list[tuple[int, str, str, str]] = field(default_factory=list)  # (n, method, path, fate)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _count: int = 0
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def faults(self) -> Counter[str]:
        return Counter(fate for *_, fate in self.log if fate != "pass")

    def _next(self, method: str, path: str) -> tuple[int, str | None]:
        with self._lock:
            self._count += 1
            n = self._count
        return n, self.plan(n, method, path)

    def _record(self, n: int, method: str, path: str, fate: str) -> None:
        with self._lock:
            self.log.append((n, method, path, fate))

    def start(self) -> FaultProxy:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as botocore's connection pool expects

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def _body(self) -> bytes:
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def _reset(self) -> None:
                self.close_connection = True
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.connection.close()

            def _s3_error(self, status: int, code: str, message: str) -> None:
                body = (
                    '<?xml version="1.0" encoding="UTF-8"?>\n'
                    f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
                ).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _forward(self, body: bytes) -> tuple[http.client.HTTPResponse, bytes, Any]:
                host, port = proxy.upstream.rsplit(":", 1)
                conn = http.client.HTTPConnection(host, int(port), timeout=UPSTREAM_TIMEOUT_S)
                conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                for key, value in self.headers.items():
                    if key.lower() not in HOP_BY_HOP:
                        conn.putheader(key, value)
                conn.endheaders(body if body else None)
                resp = conn.getresponse()
                data = resp.read()
                return resp, data, conn

            def _handle(self) -> None:
                body = self._body()
                n, fate = proxy._next(self.command, self.path)
                proxy._record(n, self.command, self.path, fate or "pass")
                if fate == "reset":
                    self._reset()
                    return
                if fate in S3_ERRORS:
                    self._s3_error(*S3_ERRORS[fate])
                    return
                resp, data, conn = self._forward(body)
                try:
                    self.send_response_only(resp.status, resp.reason)
                    for key, value in resp.getheaders():
                        if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                            self.send_header(key, value)
                    length = resp.getheader("Content-Length") if self.command == "HEAD" else None
                    self.send_header("Content-Length", length or str(len(data)))
                    self.end_headers()
                    if fate == "reset_body" and len(data) > 1:
                        self.wfile.write(data[: len(data) // 2])
                        self.wfile.flush()
                        self._reset()
                        return
                    if self.command != "HEAD":
                        self.wfile.write(data)
                finally:
                    conn.close()

            def finish(self) -> None:
                with contextlib.suppress(OSError):  # the connection was reset on purpose
                    super().finish()

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _handle

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, name="fault-proxy", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)


def every_nth(n: int, fates: tuple[str, ...], limit: int, methods: tuple[str, ...] = ()) -> Plan:
    """Fault every ``n``-th request (of ``methods``, if given), cycling through ``fates``,
    at most ``limit`` times."""
    state = {"seen": 0, "injected": 0}
    lock = threading.Lock()

    def plan(_: int, method: str, path: str) -> str | None:
        if methods and method not in methods:
            return None
        with lock:
            state["seen"] += 1
            if state["seen"] % n or state["injected"] >= limit:
                return None
            fate = fates[state["injected"] % len(fates)]
            state["injected"] += 1
            return fate

    return plan
