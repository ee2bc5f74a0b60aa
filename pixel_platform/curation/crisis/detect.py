"""Crisis detection in user turns, risk levels, and the check of the replies that follow.

What is handled (the entries themselves are in ``lexicon.yaml``):

- **Five categories** (``suicidal_ideation``, ``self_harm``, ``harm_to_others``,
  ``abuse_disclosure``, ``substance_crisis``), searched in USER turns only: an assistant that
  mentions suicide is not a user in crisis.
- **Negation** (English): "I would never kill myself", "I'm not suicidal", "I have no intention
  of hurting anyone" are dropped; "I can't stop thinking about killing myself" (a reversal word
  after the cue), "I'm not sure I won't hurt someone" (two cues) and "I don't want to hurt myself
  again" (an after-reversal) are kept. The cue must be among the few words just before the hit,
  in the same clause (see ``negation`` in the lexicon). Ambivalent "I don't want to die" is
  treated as negated; another hit in the same text still flags it.
- **Non-crisis context**: idioms ("killing it at work", "dying to see", "cut myself some slack",
  "shoot myself in the foot"), media and topic talk ("the movie was about suicide", "suicide
  prevention", "an essay on self-harm") and ordinary injuries ("cut myself cooking") suppress any
  hit they overlap.
- **Not handled**: sarcasm and hyperbole ("I'm going to kill my sister if she takes my charger"
  is flagged ``harm_to_others``), reported speech about a third person ("my friend wants to kill
  herself" is not flagged: no category covers a third party's risk), negation in Chinese.

Risk level: the highest severity among the labels (weak entries count 1, others their category's
``severity``), plus the points of each escalator kind (plan, means, timeline, in_progress) seen in
a user turn from the first flagged one on, capped at 4 = imminent; imminent also needs a
timeline or an act in progress, or it stays "high". So "I want to kill myself" is moderate, and
"I want to kill myself tonight, I have the pills saved up and I've written a note" is imminent.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pixel_platform.curation.crisis.lexicon import RISK_LEVELS, Lexicon, load_lexicon, normalize
from pixel_platform.curation.crisis.matcher import Hit, Matcher

CATEGORY, WEAK, ESCALATOR, NON_CRISIS = "category", "weak", "escalator", "non_crisis"
RESOURCE, PLANNING, DISMISSIVE = "resource", "planning", "dismissive"

_CLAUSE_BREAK = re.compile(r"[.!?;:,\n\u2014\u2013]| - | but | and | so | because | though ")
_WORD = re.compile(r"[a-z0-9']+")
_LOOKBACK = 80  # characters before a hit searched for negation cues


@dataclass(slots=True)
class UserScan:
    """What one user text contains, after negation and suppression."""

    severities: dict[str, int] = field(default_factory=dict)  # label -> highest severity seen
    escalators: set[str] = field(default_factory=set)
    negated: int = 0
    suppressed: int = 0


@dataclass(frozen=True, slots=True)
class ReplyScan:
    resources: tuple[str, ...]
    safety_planning: tuple[str, ...]
    dismissive: tuple[str, ...]

    @property
    def offers_help(self) -> bool:
        return bool(self.resources or self.safety_planning)


@dataclass(frozen=True, slots=True)
class CrisisTag:
    labels: tuple[str, ...]
    risk_level: str
    flagged_turns: tuple[int, ...]
    unsafe_turns: tuple[int, ...]
    negated: int = 0
    suppressed: int = 0

    @property
    def crisis_response_unsafe(self) -> bool:
        return bool(self.unsafe_turns)

    def as_metadata(self) -> dict[str, Any]:
        return {
            "labels": list(self.labels),
            "risk_level": self.risk_level,
            "flagged_turns": list(self.flagged_turns),
            "crisis_response_unsafe": self.crisis_response_unsafe,
            "unsafe_turns": list(self.unsafe_turns),
        }


class CrisisDetector:
    """Compiled from a ``Lexicon`` once; cheap to call for every turn.

    ``reply_check_min_severity``: the severity a flagged user turn needs before the reply to it
    must offer help. The default 2 leaves out turns with only weak hits ("my uncle died by
    suicide", "domestic violence"): they are flagged and labelled, but a reply without a hotline
    is not called unsafe. Set 1 to judge every flagged turn.
    """

    def __init__(self, lexicon: Lexicon, *, reply_check_min_severity: int = 2) -> None:
        self.lexicon = lexicon
        self.reply_check_min_severity = reply_check_min_severity
        self._order = {c.name: n for n, c in enumerate(lexicon.categories)}
        self._points = {e.name: e.points for e in lexicon.escalators}
        user_entries = [((NON_CRISIS, "", 0), lexicon.non_crisis.phrases,
                         lexicon.non_crisis.patterns)]
        for cat in lexicon.categories:
            user_entries.append(((CATEGORY, cat.name, cat.severity), cat.terms.phrases,
                                 cat.terms.patterns))
            user_entries.append(((WEAK, cat.name, 1), cat.weak.phrases, cat.weak.patterns))
        for esc in lexicon.escalators:
            user_entries.append(((ESCALATOR, esc.name, esc.points), esc.terms.phrases,
                                 esc.terms.patterns))
        self._user = Matcher(user_entries)
        self._reply = Matcher([
            ((kind, "", 0), terms.phrases, terms.patterns)
            for kind, terms in ((RESOURCE, lexicon.resources), (PLANNING, lexicon.safety_planning),
                                (DISMISSIVE, lexicon.dismissive))
        ])

    # -- user turns --------------------------------------------------------------------------
    def scan_user(self, text: str) -> UserScan:
        scan = UserScan()
        norm = normalize(text)
        hits = self._user.find(norm)
        if not hits:
            return scan
        blockers = [h for h in hits if h.tag[0] == NON_CRISIS]
        for hit in hits:
            group, key, weight = hit.tag
            if group == NON_CRISIS:
                continue
            if any(hit.overlaps(b) for b in blockers):
                scan.suppressed += 1
                continue
            if self._negated(norm, hit):
                scan.negated += 1
                continue
            if group == ESCALATOR:
                scan.escalators.add(key)
            elif weight > scan.severities.get(key, 0):
                scan.severities[key] = weight
        return scan

    def _negated(self, norm: str, hit: Hit) -> bool:
        if not norm[hit.start].isascii():
            return False
        rules = self.lexicon.negation
        before = norm[max(0, hit.start - _LOOKBACK):hit.start]
        clause_start = 0
        for brk in _CLAUSE_BREAK.finditer(before):
            clause_start = brk.end()
        words = _WORD.findall(before[clause_start:])[-rules.window:]
        cues = [n for n, w in enumerate(words) if w in rules.cues]
        joined = " " + " ".join(words) + " "
        phrase_cues = sum(1 for cue in rules.cue_phrases if f" {cue} " in joined)
        if not cues and not phrase_cues:
            return False
        if (len(cues) + phrase_cues) % 2 == 0:  # "not sure I won't": the cues cancel out
            return False
        if cues and any(w in rules.reversals for w in words[cues[-1] + 1:]):
            return False  # "can't stop thinking about ..."
        following = _WORD.match(norm, hit.end + 1) if hit.end < len(norm) else None
        return not (following and following.group() in rules.after_reversals)

    def risk_level(self, severities: dict[str, int], escalators: set[str]) -> str:
        if not severities:
            return RISK_LEVELS[0]
        level = max(severities.values()) + sum(self._points.get(e, 0) for e in escalators)
        level = min(level, len(RISK_LEVELS) - 1)
        if level == len(RISK_LEVELS) - 1 and not escalators & self.lexicon.imminent_requires:
            level -= 1
        return RISK_LEVELS[level]

    def labels(self, severities: dict[str, int]) -> tuple[str, ...]:
        return tuple(sorted(severities, key=self._order.__getitem__))

    def needs_safe_reply(self, scan: UserScan) -> bool:
        return bool(scan.severities) and \
            max(scan.severities.values()) >= self.reply_check_min_severity

    # -- assistant replies -------------------------------------------------------------------
    def scan_reply(self, text: str) -> ReplyScan:
        norm = normalize(text)
        found: dict[str, list[str]] = {RESOURCE: [], PLANNING: [], DISMISSIVE: []}
        last_end: dict[str, int] = {}
        # Longest first at each start; a hit inside an earlier one of its kind adds nothing
        # ("call or text 988" covers "text 988" and "988").
        for hit in sorted(self._reply.find(norm), key=lambda h: (h.start, -h.end)):
            kind = hit.tag[0]
            if hit.end <= last_end.get(kind, -1):
                continue
            last_end[kind] = hit.end
            found[kind].append(norm[hit.start:hit.end])
        return ReplyScan(*(tuple(dict.fromkeys(found[k])) for k in (RESOURCE, PLANNING,
                                                                      DISMISSIVE)))

    # -- conversations -----------------------------------------------------------------------
    def tag(self, messages: list[Any]) -> CrisisTag:
        """Tag one conversation's messages (``Conversation.messages``); indexes are into it."""
        severities: dict[str, int] = {}
        escalators: set[str] = set()
        flagged: list[int] = []
        unsafe: list[int] = []
        negated = suppressed = 0
        for n, message in enumerate(messages):
            if message["role"] != "user":
                continue
            scan = self.scan_user(message["content"])
            negated += scan.negated
            suppressed += scan.suppressed
            if scan.severities:
                flagged.append(n)
                for label, severity in scan.severities.items():
                    severities[label] = max(severities.get(label, 0), severity)
                following = messages[n + 1] if n + 1 < len(messages) else None
                if following is not None and following["role"] == "assistant" and \
                        self.needs_safe_reply(scan) and \
                        not self.scan_reply(following["content"]).offers_help:
                    unsafe.append(n + 1)
            if flagged:
                escalators |= scan.escalators
        return CrisisTag(
            labels=self.labels(severities),
            risk_level=self.risk_level(severities, escalators),
            flagged_turns=tuple(flagged),
            unsafe_turns=tuple(unsafe),
            negated=negated,
            suppressed=suppressed,
        )


@functools.lru_cache(maxsize=8)
def _detector_for(path: str | None, reply_check_min_severity: int) -> CrisisDetector:
    return CrisisDetector(load_lexicon(path), reply_check_min_severity=reply_check_min_severity)


def default_detector(lexicon_path: str | Path | None = None, *,
                     reply_check_min_severity: int = 2) -> CrisisDetector:
    """The detector for a lexicon file (the shipped one by default), compiled once per process."""
    return _detector_for(str(lexicon_path) if lexicon_path is not None else None,
                         reply_check_min_severity)
