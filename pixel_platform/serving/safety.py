"""The crisis layer: a user turn at high or imminent risk always gets crisis resources.

The last user turn is scanned with the curation's crisis lexicon (``curation.crisis``, the
detector that tags training data). At ``high`` or ``imminent`` risk, a reply that names no crisis
resource (988, a crisis text line, emergency services) gets one appended, so no model output can
leave a person in crisis without a way to get help. What fired is returned as a risk level and a
flag, never as text, for the service to log and count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pixel_platform.curation.crisis import default_detector

HIGH_RISK = ("high", "imminent")
RESOURCES = (
    "If you are in immediate danger, call 911 or go to the nearest emergency room. "
    "You can call or text 988 (Suicide & Crisis Lifeline, US) any time, or text HOME to 741741. "
    "Outside the US, please contact your local emergency number or crisis line."
)


@dataclass(frozen=True)
class Screened:
    reply: str
    risk_level: str
    fired: bool  # resources were appended


class CrisisLayer:
    def __init__(self) -> None:
        self._detector = default_detector()

    def risk_of(self, messages: list[dict[str, Any]]) -> str:
        last = next((m for m in reversed(messages) if m.get("role") == "user"), None)
        if last is None:
            return "none"
        scan = self._detector.scan_user(str(last.get("content", "")))
        return self._detector.scan_level(scan) if scan.severities else "none"

    def screen(self, messages: list[dict[str, Any]], reply: str) -> Screened:
        level = self.risk_of(messages)
        if level not in HIGH_RISK:
            return Screened(reply, level, False)
        if self._detector.scan_reply(reply).resources:
            return Screened(reply, level, False)
        joined = f"{reply.rstrip()}\n\n{RESOURCES}" if reply.strip() else RESOURCES
        return Screened(joined, level, True)
