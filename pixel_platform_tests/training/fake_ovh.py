"""A local stand-in for the OVH AI Training API, on 127.0.0.1 with a free port.

Implements ``POST /v1/job``, ``GET /v1/job/{id}``, ``PUT /v1/job/{id}/kill`` and
``GET /v1/job/{id}/log`` with a bearer-token check. Each job follows a scripted list of states,
one step per ``GET /v1/job/{id}`` (the last state repeats); every status poll also makes one
more scripted log line visible. ``reset_gets`` drops the connection without an answer on the
given status-poll numbers (1-based), as a flaky network would; ``fail_posts`` answers the first
POSTs with 503. Every request is recorded (method, path, body).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Scenario:
    states: list[str] = field(
        default_factory=lambda: [
            "QUEUED",
            "INITIALIZING",
            "RUNNING",
            "RUNNING",
            "FINALIZING",
            "DONE",
        ]
    )
    log_lines: list[str] = field(default_factory=lambda: [f"step {i}" for i in range(1, 6)])
    reset_gets: set[int] = field(default_factory=set)
    fail_posts: int = 0
    failure_message: str = ""


@dataclass
class FakeOVH:
    token: str
    scenario: Scenario
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    kills: list[str] = field(default_factory=list)
    status_polls: int = 0
    base_url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def requests_to(self, method: str, suffix: str = "") -> list[tuple[str, str, Any]]:
        return [r for r in self.requests if r[0] == method and r[1].endswith(suffix)]


def _handler(fake: FakeOVH) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def _send(self, code: int, body: Any, content_type: str = "application/json") -> None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _admit(self, method: str, body: Any = None) -> list[str] | None:
            """Log the request, then check its token: the path's parts, or None once refused."""
            with fake.lock:
                fake.requests.append((method, self.path, body))
            if self.headers.get("Authorization") != f"Bearer {fake.token}":
                self._send(401, {"message": "invalid token"})
                return None
            return self.path.strip("/").split("/")

        def _body(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            return json.loads(self.rfile.read(length)) if length else None

        def do_POST(self) -> None:
            body = self._body()
            if self._admit("POST", body) is None:
                return
            if self.path != "/v1/job":
                return self._send(404, {"message": "not found"})
            with fake.lock:
                if fake.scenario.fail_posts > 0:
                    fake.scenario.fail_posts -= 1
                    return self._send(503, {"message": "try later"})
                job_id = f"job-{len(fake.jobs) + 1:04d}"
                fake.jobs[job_id] = {"spec": body, "step": 0, "killed": False, "visible_logs": 0}
            self._send(200, self._job_json(job_id))

        def _job_json(self, job_id: str) -> dict[str, Any]:
            job = fake.jobs[job_id]
            states = fake.scenario.states
            state = "INTERRUPTED" if job["killed"] else states[min(job["step"], len(states) - 1)]
            status: dict[str, Any] = {"state": state}
            if state in ("FAILED", "ERROR") and fake.scenario.failure_message:
                status["info"] = {"code": "JOB_FAILED", "message": fake.scenario.failure_message}
            return {"id": job_id, "spec": job["spec"], "status": status}

        def do_GET(self) -> None:
            parts = self._admit("GET")
            if parts is None:
                return
            if len(parts) < 3 or parts[:2] != ["v1", "job"] or parts[2] not in fake.jobs:
                return self._send(404, {"message": "job not found"})
            job_id = parts[2]
            if len(parts) == 4 and parts[3] == "log":
                job = fake.jobs[job_id]
                lines = fake.scenario.log_lines[: job["visible_logs"]]
                return self._send(200, "".join(f"{x}\n" for x in lines).encode(), "text/plain")
            with fake.lock:
                fake.status_polls += 1
                if fake.status_polls in fake.scenario.reset_gets:
                    # Drop the connection without answering: a reset in the middle of a poll.
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                job = fake.jobs[job_id]
                body = self._job_json(job_id)
                job["step"] += 1
                job["visible_logs"] += 1
            self._send(200, body)

        def do_PUT(self) -> None:
            parts = self._admit("PUT")
            if parts is None:
                return
            if len(parts) != 4 or parts[3] != "kill" or parts[2] not in fake.jobs:
                return self._send(404, {"message": "job not found"})
            with fake.lock:
                fake.kills.append(parts[2])
                fake.jobs[parts[2]]["killed"] = True
            self._send(200, self._job_json(parts[2]))

    return Handler


@contextmanager
def fake_ovh_server(token: str, scenario: Scenario | None = None) -> Iterator[FakeOVH]:
    fake = FakeOVH(token, scenario or Scenario())
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
