"""OVH AI Training backend: a small REST client for ``https://{region}.ai.cloud.ovh.net``.

* ``POST /v1/job`` (body from ``TrainingJobSpec.ovh_job_body``), ``GET /v1/job/{id}``
  (``status.state``), ``PUT /v1/job/{id}/kill``, ``GET /v1/job/{id}/log`` (plain text).
* A ``requests`` session with explicit (connect, read) timeouts and a urllib3 ``Retry``: GET and
  PUT are retried on connection errors, read errors and 429/500/502/503/504 with backoff
  (``Retry-After`` honoured), a bounded number of times. POST is retried only where the request
  cannot have created a job: connection refused, 429 and 503. After the retries, 5xx and
  connection errors raise ``TransientError``; 4xx raise ``TerminalError`` (401/403: the token).
* The app token comes from ``OVH_AI_TOKEN``; it is sent only as a bearer header and never logged
  or shown in ``repr``/errors.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from pixel_platform.core.errors import ConfigError, TerminalError, TransientError
from pixel_platform.storage.base import ObjectStore
from pixel_platform.storage.keys import join_key
from pixel_platform.training.backends.base import (
    JobNotFoundError,
    JobState,
    TrainingBackend,
)
from pixel_platform.training.spec import TrainingJobSpec

log = logging.getLogger(__name__)

TOKEN_ENV = "OVH_AI_TOKEN"
REGION_ENV = "OVH_AI_REGION"
RETRY_STATUSES = (429, 500, 502, 503, 504)
POST_RETRY_STATUSES = (429, 503)  # rejected before the job was created


def base_url_for(region: str) -> str:
    return f"https://{region.lower()}.ai.cloud.ovh.net"


class OVHClient:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        connect_timeout_s: float = 10.0,
        read_timeout_s: float = 30.0,
        max_retries: int = 5,
        backoff_factor: float = 0.5,
    ) -> None:
        if not token:
            raise ConfigError(f"set {TOKEN_ENV} to an OVH AI Training application token")
        self.base_url = base_url.rstrip("/")
        self._token = token
        self.timeout = (connect_timeout_s, read_timeout_s)
        self.max_retries = max_retries
        self.backoff_factor = backoff_factor
        self.session = requests.Session()
        retry = Retry(
            total=max_retries,
            connect=max_retries,
            read=max_retries,
            status=max_retries,
            other=0,
            backoff_factor=backoff_factor,
            status_forcelist=RETRY_STATUSES,
            allowed_methods=frozenset({"GET", "PUT"}),
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        self.session.mount("https://", HTTPAdapter(max_retries=retry))
        self.session.mount("http://", HTTPAdapter(max_retries=retry))
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.session.headers["Accept"] = "application/json"

    def __repr__(self) -> str:
        return f"OVHClient(base_url={self.base_url!r})"

    @classmethod
    def from_env(cls, region: str | None = None, base_url: str | None = None) -> OVHClient:
        region = region or os.environ.get(REGION_ENV, "gra")
        return cls(base_url or base_url_for(region), os.environ.get(TOKEN_ENV, ""))

    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        url = f"{self.base_url}{path}"
        attempts = self.max_retries + 1 if method == "POST" else 1
        for attempt in range(attempts):
            try:
                response = self.session.request(method, url, timeout=self.timeout, **kwargs)
            except requests.Timeout:
                raise TransientError(f"OVH AI Training timed out ({method} {path})") from None
            except requests.RequestException as exc:  # connection/read errors after retries
                raise TransientError(
                    f"OVH AI Training unreachable ({method} {path}): {type(exc).__name__}"
                ) from None
            retry_post = method == "POST" and response.status_code in POST_RETRY_STATUSES
            if retry_post and attempt + 1 < attempts:
                time.sleep(self.backoff_factor * 2**attempt)
                continue
            return self._check(response, method, path)
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _check(response: requests.Response, method: str, path: str) -> requests.Response:
        code = response.status_code
        if code < 400:
            return response
        detail = response.text[:200].replace("\n", " ")
        if code in (401, 403):
            raise TerminalError(
                f"OVH AI Training refused the token ({code} on {method} {path}); check "
                f"{TOKEN_ENV} and the token's role"
            )
        if code == 404:
            raise JobNotFoundError(f"OVH AI Training: {method} {path} not found")
        if code >= 500 or code == 429:
            raise TransientError(f"OVH AI Training answered {code} on {method} {path}: {detail}")
        raise TerminalError(f"OVH AI Training answered {code} on {method} {path}: {detail}")

    def create_job(self, body: dict[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = self._request("POST", "/v1/job", json=body).json()
        return data

    def create_app(self, body: dict[str, Any]) -> dict[str, Any]:
        """An OVH AI Deploy app (same API host and token as AI Training)."""
        data: dict[str, Any] = self._request("POST", "/v1/app", json=body).json()
        return data

    def get_job(self, job_id: str) -> dict[str, Any]:
        data: dict[str, Any] = self._request("GET", f"/v1/job/{job_id}").json()
        return data

    def kill_job(self, job_id: str) -> None:
        self._request("PUT", f"/v1/job/{job_id}/kill")

    def job_log(self, job_id: str) -> str:
        return self._request("GET", f"/v1/job/{job_id}/log", headers={"Accept": "text/plain"}).text


class OVHBackend(TrainingBackend):
    name = "ovh"

    def __init__(self, client: OVHClient, checkpoint_store: ObjectStore | None = None) -> None:
        self.client = client
        self.checkpoint_store = checkpoint_store
        self._jobs: dict[str, dict[str, Any]] = {}

    def submit(self, spec: TrainingJobSpec) -> str:
        job = self.client.create_job(spec.ovh_job_body())
        job_id = str(job.get("id") or "")
        if not job_id:
            raise TerminalError("OVH AI Training created a job but returned no id")
        log.info("submitted OVH AI Training job %s for spec %s", job_id, spec.spec_id)
        return job_id

    def _job(self, job_id: str) -> dict[str, Any]:
        job = self.client.get_job(job_id)
        self._jobs[job_id] = job
        return job

    def status(self, job_id: str) -> JobState:
        state = str((self._job(job_id).get("status") or {}).get("state") or "")
        try:
            return JobState(state)
        except ValueError:
            raise TerminalError(f"OVH job {job_id} reports an unknown state {state!r}") from None

    def detail(self, job_id: str) -> str:
        status = (self._jobs.get(job_id) or {}).get("status") or {}
        info = status.get("info") or {}
        return str(info.get("message") or status.get("state") or "")

    def logs(self, job_id: str) -> Iterator[str]:
        yield from self.client.job_log(job_id).splitlines()

    def cancel(self, job_id: str) -> None:
        self.client.kill_job(job_id)

    def run_prefix(self, job_id: str) -> str:
        """From the job's own spec: the RW volume's prefix plus the ``pixel-spec`` label."""
        job = self._jobs.get(job_id) or self._job(job_id)
        spec = job.get("spec") or {}
        spec_id = (spec.get("labels") or {}).get("pixel-spec")
        volumes = [v for v in spec.get("volumes") or [] if v.get("permission") in ("RW", "RWD")]
        if not spec_id or not volumes:
            raise TerminalError(f"OVH job {job_id} has no pixel-spec label or checkpoint volume")
        store = (volumes[0].get("volumeSource") or {}).get("dataStore") or {}
        prefix = str(store.get("prefix") or "")
        return join_key(prefix, spec_id) + "/" if prefix else f"{spec_id}/"
