"""The review tool the queue talks to (Label Studio), from the environment."""

from __future__ import annotations

import os

import dagster as dg

from pixel_platform.review.book import CRISIS_TASK
from pixel_platform.review.items import DEFAULT_NAMESPACE
from pixel_platform.review.label_studio import LabelStudio
from pixel_platform.review.queue import QueueSettings

URL_ENV, KEY_ENV = "LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY"


class ReviewToolResource(dg.ConfigurableResource):  # type: ignore[type-arg]
    """``url``/``api_key``: Label Studio and a personal access token (``$LABEL_STUDIO_URL``,
    ``$LABEL_STUDIO_API_KEY``; empty: no review tool, the review assets say so and the sensor
    skips). ``crisis_reviewers``: agreeing reviewers a crisis reply needs. ``sample_rate``: the
    share of each generated family sampled for review. ``namespace``: the projects' title prefix
    (``$PIXEL_REVIEW_NAMESPACE``), so that one tool can serve several deployments."""

    url: str = ""
    api_key: str = ""
    crisis_reviewers: int = 1
    sample_rate: float = QueueSettings().sample_rate
    namespace: str = DEFAULT_NAMESPACE

    @property
    def configured(self) -> bool:
        return bool(self.url and self.api_key)

    def client(self) -> LabelStudio:
        return LabelStudio(self.url, self.api_key)

    def settings(self) -> QueueSettings:
        base = QueueSettings()
        return QueueSettings(
            reviewers={**base.reviewers, CRISIS_TASK: self.crisis_reviewers},
            sample_rate=self.sample_rate,
            namespace=self.namespace,
        )


def review_tool_from_env() -> ReviewToolResource:
    return ReviewToolResource(
        url=os.environ.get(URL_ENV, ""),
        api_key=os.environ.get(KEY_ENV, ""),
        crisis_reviewers=int(os.environ.get("PIXEL_REVIEW_CRISIS_REVIEWERS", "1")),
        sample_rate=float(
            os.environ.get("PIXEL_REVIEW_SAMPLE_RATE", str(QueueSettings().sample_rate))
        ),
        namespace=os.environ.get("PIXEL_REVIEW_NAMESPACE", DEFAULT_NAMESPACE),
    )
