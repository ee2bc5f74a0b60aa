"""A small client of Label Studio's REST API: the projects, tasks and annotations of the queue.

Why not ``label-studio-sdk``: its 2.x release pins ``numpy<2.3`` (this environment runs 2.4) and
brings opencv, nltk, black, Faker and a code generator into the platform's runtime, for the six
endpoints used here. ``requests`` is already a dependency; the endpoints are Label Studio's
documented API (``/api/projects``, ``/api/projects/<id>/import``, ``/api/tasks``,
``/api/tasks/<id>/annotations``, ``/api/token/refresh``).

Authentication: a personal access token (a JWT refresh token, Account & Settings in the tool) is
exchanged for short-lived access tokens; a legacy token (40 hex characters) is sent as is.
Errors name the endpoint and the HTTP status only: a task's text never reaches an exception.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import requests

from pixel_platform.core.errors import ConfigError, TerminalError

log = logging.getLogger(__name__)

PAGE_SIZE = 100
TIMEOUT_S = 30.0
ACCESS_TTL_S = 240.0  # access tokens live 5 minutes on the server; refresh before that
PREDICTIONS_VERSION = "pixel-platform"  # the model_version of the pre-annotations


class LabelStudioError(TerminalError):
    """The review tool refused or failed a call (endpoint and status only)."""


@dataclass(frozen=True)
class Annotation:
    id: int
    task_id: int
    reviewer: str  # the Label Studio user id, as a string
    result: list[dict[str, Any]]
    cancelled: bool
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class Task:
    id: int
    project_id: int
    data: dict[str, Any]
    annotations: list[Annotation]
    overlap: int = 1  # how many reviewers the tool shows the task to


class LabelStudio:
    def __init__(self, url: str, api_key: str, *, timeout_s: float = TIMEOUT_S) -> None:
        if not url:
            raise ConfigError(
                "no review tool configured: set LABEL_STUDIO_URL (and LABEL_STUDIO_API_KEY)"
            )
        if not api_key:
            raise ConfigError("LABEL_STUDIO_API_KEY is empty: create a personal access token")
        self.url = url.rstrip("/")
        self._key = api_key
        self._timeout = timeout_s
        self._session = requests.Session()
        self._access: tuple[str, float] | None = None

    # -- auth ------------------------------------------------------------------------------------
    def _auth_header(self) -> str:
        if self._key.count(".") != 2:  # a legacy token, not a JWT
            return f"Token {self._key}"
        if self._access is None or time.monotonic() - self._access[1] > ACCESS_TTL_S:
            body = self._send(
                "POST", "/api/token/refresh/", json={"refresh": self._key}, auth=False
            )
            self._access = (str(body["access"]), time.monotonic())
        return f"Bearer {self._access[0]}"

    def _send(self, method: str, path: str, *, auth: bool = True, **kwargs: Any) -> Any:
        headers = {"Authorization": self._auth_header()} if auth else {}
        try:
            response = self._session.request(
                method, self.url + path, headers=headers, timeout=self._timeout, **kwargs
            )
        except requests.RequestException as exc:
            raise LabelStudioError(
                f"review tool at {self.url}: {method} {path.split('?')[0]} failed"
                f" ({type(exc).__name__}); is it running?"
            ) from None
        if response.status_code >= 400:
            raise LabelStudioError(
                f"review tool at {self.url}: {method} {path.split('?')[0]} answered"
                f" HTTP {response.status_code}"
            )
        return response.json() if response.content else None

    # -- projects --------------------------------------------------------------------------------
    def project_id(
        self, title: str, label_config: str, description: str = "", *, reviewers: int = 1
    ) -> int:
        """The project titled ``title``, created with ``label_config`` when there is none. Its
        ``model_version`` is the pre-annotations' (``PREDICTIONS_VERSION``), so a reviewer opens
        a task with them already in place, to accept, correct or delete; ``reviewers``: how many
        people the tool shows each task to (its ``maximum_annotations``)."""
        for project in self._pages("/api/projects/"):
            if project.get("title") == title:
                return int(project["id"])
        body = self._send(
            "POST",
            "/api/projects/",
            json={
                "title": title,
                "label_config": label_config,
                "description": description,
                "model_version": PREDICTIONS_VERSION,
                "show_collab_predictions": True,
                "maximum_annotations": reviewers,
            },
        )
        log.info("review: created the Label Studio project %r (id %s)", title, body["id"])
        return int(body["id"])

    def import_tasks(self, project_id: int, tasks: Sequence[dict[str, Any]]) -> int:
        if not tasks:
            return 0
        body = self._send("POST", f"/api/projects/{project_id}/import", json=list(tasks))
        return int((body or {}).get("task_count", len(tasks)))

    # -- tasks and annotations -------------------------------------------------------------------
    def tasks(self, project_id: int) -> Iterator[Task]:
        page = 1
        while True:
            body = self._send(
                "GET",
                f"/api/tasks/?project={project_id}&page={page}&page_size={PAGE_SIZE}&fields=all",
            )
            items = body.get("tasks", []) if isinstance(body, dict) else body or []
            for item in items:
                yield Task(
                    id=int(item["id"]),
                    project_id=project_id,
                    data=dict(item.get("data") or {}),
                    annotations=[
                        _annotation(a, int(item["id"])) for a in item.get("annotations") or ()
                    ],
                    overlap=int(item.get("overlap") or 1),
                )
            total = int(body.get("total", 0)) if isinstance(body, dict) else len(items)
            if not items or page * PAGE_SIZE >= total:
                return
            page += 1

    def set_overlap(self, task_id: int, reviewers: int) -> None:
        """Show one task to ``reviewers`` people (a disagreement asks one more)."""
        self._send("PATCH", f"/api/tasks/{task_id}/", json={"overlap": reviewers})

    def annotate(self, task_id: int, result: list[dict[str, Any]]) -> int:
        """Submit an annotation as the token's user (what a reviewer's Submit does)."""
        body = self._send("POST", f"/api/tasks/{task_id}/annotations/", json={"result": result})
        return int(body["id"])

    def _pages(self, path: str) -> Iterator[dict[str, Any]]:
        page = 1
        while True:
            body = self._send("GET", f"{path}?page={page}&page_size={PAGE_SIZE}")
            if isinstance(body, list):
                yield from body
                return
            yield from body.get("results") or ()
            if not body.get("next"):
                return
            page += 1


def _annotation(data: dict[str, Any], task_id: int) -> Annotation:
    reviewer = data.get("completed_by")
    if isinstance(reviewer, dict):
        reviewer = reviewer.get("id")
    return Annotation(
        id=int(data["id"]),
        task_id=task_id,
        reviewer=str(reviewer),
        result=list(data.get("result") or ()),
        cancelled=bool(data.get("was_cancelled")),
        created_at=str(data.get("created_at") or ""),
        updated_at=str(data.get("updated_at") or data.get("created_at") or ""),
    )
