"""A real Label Studio server for the review tests, from the project's own virtualenv
(``.venv-labelstudio``, installed by ``scripts/setup.sh --dev``), on 127.0.0.1 with its data in
a temporary directory; error reporting and analytics off (``scripts/label_studio.sh``)."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_S = 240.0  # the first start runs Django's migrations (about 40 s here)


@dataclass(frozen=True)
class LabelStudioServer:
    url: str
    email: str
    password: str = field(repr=False)
    api_key: str = field(repr=False)  # a personal access token (JWT refresh token)
    log_path: Path = Path()


def label_studio_binary() -> Path:
    venv = Path(os.environ.get("LABEL_STUDIO_VENV", REPO / ".venv-labelstudio"))
    return venv / "bin" / "label-studio"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_label_studio(workdir: Path) -> Iterator[LabelStudioServer]:
    binary = label_studio_binary()
    if not binary.exists():
        raise RuntimeError(
            f"{binary} not found: run scripts/setup.sh --dev (it installs Label Studio)"
        )
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    email, password = "reviewer@example.org", secrets.token_hex(12)
    env = {
        **os.environ,
        "LABEL_STUDIO_BASE_DATA_DIR": str(workdir),
        "SENTRY_DSN": "",
        "FRONTEND_SENTRY_DSN": "",
        "COLLECT_ANALYTICS": "false",
    }
    log_path = workdir / "label-studio.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [str(binary), "start", "--no-browser", "--internal-host", "127.0.0.1",
             "--port", str(port), "--host", url, "--username", email, "--password", password],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
            cwd=workdir, start_new_session=True,
        )  # fmt: skip
        try:
            _wait_until_up(url, proc, log_path)
            token = personal_access_token(url, email, password)
            yield LabelStudioServer(url, email, password, token, log_path)
        finally:
            _stop(proc)


def login(url: str, email: str, password: str) -> requests.Session:
    """A browser-like session logged in through the login form."""
    session = requests.Session()
    session.get(f"{url}/user/login/", timeout=30)
    response = session.post(
        f"{url}/user/login/",
        data={
            "email": email,
            "password": password,
            "csrfmiddlewaretoken": session.cookies.get("csrftoken", ""),
        },
        headers={"Referer": f"{url}/user/login/"},
        timeout=30,
    )
    response.raise_for_status()
    return session


def personal_access_token(url: str, email: str, password: str) -> str:
    """What a user does once in Account & Settings: create a personal access token."""
    session = login(url, email, password)
    response = session.post(
        f"{url}/api/token/",
        headers={"X-CSRFToken": session.cookies.get("csrftoken", ""), "Referer": url},
        timeout=30,
    )
    response.raise_for_status()
    return str(response.json()["token"])


def _wait_until_up(url: str, proc: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"Label Studio exited with {proc.returncode}; see {log_path}")
        try:
            if requests.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(1.0)
    raise RuntimeError(f"Label Studio not up after {STARTUP_TIMEOUT_S:.0f} s; see {log_path}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def invite_reviewer(server: LabelStudioServer, email: str) -> str:
    """A second reviewer joins through the organization's invite link (as people do) and creates
    a personal access token; returns it."""
    admin = login(server.url, server.email, server.password)
    invite = admin.get(f"{server.url}/api/invite", timeout=30)
    invite.raise_for_status()
    link = server.url + str(invite.json()["invite_url"])
    session = requests.Session()
    session.get(link, timeout=30)
    password = secrets.token_hex(12)
    session.post(
        link,
        data={
            "email": email,
            "password": password,
            "csrfmiddlewaretoken": session.cookies.get("csrftoken", ""),
        },
        headers={"Referer": link},
        timeout=30,
    ).raise_for_status()
    return personal_access_token(server.url, email, password)
