"""Crisis detection in user turns, risk levels, and the check of the replies that follow.

The policy (what counts, whose it is, when a reply is unsafe) is in the package docstring
(``pixel_platform.curation.crisis``); the entries are in ``lexicon.yaml``. What is handled:

- **Five categories** (``suicidal_ideation``, ``self_harm``, ``harm_to_others``,
  ``abuse_disclosure``, ``substance_crisis``), searched in USER turns only: an assistant that
  mentions suicide is not a user in crisis.
- **First person only** (``perspective.py``): a hit is the writer's ("I want to kill myself",
  "he hits me", "feeling suicidal again"), someone else's ("my friend wants to kill herself",
  "she has been suicidal before", "my client self-harms", a quote attributed to them) or nobody's
  (topic talk, titles and lyrics). Only the writer's hits set ``labels`` and the risk level;
  someone else's are counted in ``concern_for_other``, which never makes a reply unsafe. One
  exception: an act under way in front of the writer ("my friend overdosed and isn't waking up")
  is the writer's emergency too - they are the one who must act now.
- **Past history**: a writer's hit in a past context ("as a child", "used to", "years ago",
  "I'm not self-harming anymore") counts as a weak one (low) and is not escalated.
- **Negation** (English): "I would never kill myself", "I'm not suicidal", "I have no intention
  of hurting anyone" are dropped; "I can't stop thinking about killing myself" (a reversal word
  after the cue), "I'm not sure I won't hurt someone" (two cues) and "I don't want to hurt myself
  again" (an after-reversal) are kept. The cue must be among the few words just before the hit,
  in the same clause (see ``negation`` in the lexicon).
- **Non-crisis context**: idioms ("killing it at work", "dying to see", "cut myself some slack",
  "I'd rather die than"), titles ("Suicide Squad"), media and topic talk ("the movie was about
  suicide") and ordinary injuries ("cut myself cooking") suppress any hit they overlap; a joke
  marked by laughter with "if"/"made me" ("that exam made me want to jump off a bridge haha") is
  suppressed too.
- **Not handled**: sarcasm without such markers, pronoun chains across sentences ("My sister
  called. She wants to die." is handled; "My sister called. Wants to die." is read as the
  writer's), names as people, negation and perspective in Chinese.

Risk level, per label of the writer's: its severity (weak or past hits count 1, others their
category's ``severity``) plus the points of each escalator kind (plan, means, timeline,
in_progress, severe_violence) that ``applies_to`` the label, seen in a user turn from the first
flagged one on; the highest over the labels, capped at 4 = imminent. Imminent also needs a
timeline or an act in progress, or it stays "high". So "I want to kill myself" is moderate,
"I want to kill myself. I have a gun." high, and "I'm going to take all my pills tonight" (means
and a timeline) imminent.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pixel_platform.curation.crisis.lexicon import RISK_LEVELS, Lexicon, load_lexicon, normalize
from pixel_platform.curation.crisis.matcher import Hit, Matcher
from pixel_platform.curation.crisis.perspective import ACTOR, HYPERBOLE, OTHER, SELF, TextView

CATEGORY, WEAK, ESCALATOR, NON_CRISIS = "category", "weak", "escalator", "non_crisis"
PAST, CURRENT = "past", "current"
RESOURCE, PLANNING, REFERRAL, SUPPORT, DISMISSIVE = (
    "resource", "planning", "referral", "support", "dismissive")
IMMINENT = RISK_LEVELS[-1]
BYSTANDER_CATEGORIES = frozenset({"suicidal_ideation", "self_harm", "substance_crisis"})
BYSTANDER_ESCALATOR = "in_progress"
PLAN = "plan"  # a turn with a plan: its timeline counts wherever it stands"
VIOLENCE = "harm_to_others"  # where the writer's abuse of someone else is counted

_CLAUSE_BREAK = re.compile(r"[.!?;:,\n\u2014\u2013]| - | but | and | so | because | though ")
_WORD = re.compile(r"[a-z0-9']+")
_LOOKBACK = 80  # characters before a hit searched for negation cues
_WANTING = frozenset({"want", "wanna", "wish", "like", "trying", "try"})
_NEGATED, _KEPT, _KEPT_PAST = "negated", "kept", "kept_past"


@dataclass(slots=True)
class UserScan:
    """What one user text contains, after negation, suppression and attribution."""

    severities: dict[str, int] = field(default_factory=dict)  # the writer's label -> severity
    current: set[str] = field(default_factory=set)  # labels with a hit that is not past
    escalators: set[str] = field(default_factory=set)
    others: dict[str, int] = field(default_factory=dict)  # someone else's label -> severity
    negated: int = 0
    suppressed: int = 0
    unattributed: int = 0  # hits that are nobody's: topic talk, titles, lyrics


@dataclass(frozen=True, slots=True)
class ReplyScan:
    resources: tuple[str, ...]
    safety_planning: tuple[str, ...]
    dismissive: tuple[str, ...]
    referral: tuple[str, ...] = ()
    support: tuple[str, ...] = ()

    @property
    def offers_help(self) -> bool:
        """A concrete safety step: a resource (988, emergency services, a hotline) or safety
        planning. The strict standard the synthetic generators hold their own replies to."""
        return bool(self.resources or self.safety_planning)

    def safe_for(self, risk_level: str) -> bool:
        """The reply policy (package docstring): at imminent only a safety step will do; below
        it a referral, or support that is not dismissive, will also do."""
        if self.offers_help:
            return True
        if risk_level == IMMINENT:
            return False
        return bool(self.referral) or (bool(self.support) and not self.dismissive)


@dataclass(frozen=True, slots=True)
class CrisisTag:
    labels: tuple[str, ...]
    risk_level: str
    flagged_turns: tuple[int, ...]
    unsafe_turns: tuple[int, ...]
    negated: int = 0
    suppressed: int = 0
    concern_for_other: tuple[str, ...] = ()  # categories of someone else's crisis mentioned

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
            "concern_for_other": list(self.concern_for_other),
        }


class CrisisDetector:
    """Compiled from a ``Lexicon`` once; cheap to call for every turn.

    ``reply_check_min_severity``: the risk level (an index into ``RISK_LEVELS``) a user turn of
    the writer's own crisis needs before the reply to it is judged. The default 2 (moderate)
    leaves out low turns (past history, passive or weak mentions: "I was abused as a child"):
    they are labelled, but no reply to them is called unsafe. Set 1 to judge those too.
    """

    def __init__(self, lexicon: Lexicon, *, reply_check_min_severity: int = 2) -> None:
        self.lexicon = lexicon
        self.reply_check_min_severity = reply_check_min_severity
        self._order = {c.name: n for n, c in enumerate(lexicon.categories)}
        self._escalators = {e.name: e for e in lexicon.escalators}
        user_entries = [((NON_CRISIS, "", 0), lexicon.non_crisis.phrases,
                         lexicon.non_crisis.patterns),
                        ((PAST, "", 0), lexicon.tense.past.phrases, lexicon.tense.past.patterns),
                        ((CURRENT, "", 0), lexicon.tense.current.phrases,
                         lexicon.tense.current.patterns)]
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
                                (REFERRAL, lexicon.referral), (SUPPORT, lexicon.support),
                                (DISMISSIVE, lexicon.dismissive))
        ])

    # -- user turns --------------------------------------------------------------------------
    def scan_user(self, text: str) -> UserScan:
        scan = UserScan()
        norm = normalize(text)
        hits = sorted(self._user.find(norm), key=lambda h: (h.start, -h.end))
        if not any(h.tag[0] in (CATEGORY, WEAK) for h in hits):
            scan.escalators = {h.tag[1] for h in hits if h.tag[0] == ESCALATOR
                               and not self._blocked(norm, h, hits, scan)}
            return scan
        view = TextView(norm, self.lexicon.perspective)
        past = [h for h in hits if h.tag[0] == PAST]
        current = [h for h in hits if h.tag[0] == CURRENT]
        own_sentences: set[int] = set()
        escalator_hits: list[Hit] = []
        other_hits: list[Hit] = []
        for hit in hits:
            group, key, weight = hit.tag
            if group not in (CATEGORY, WEAK, ESCALATOR) or self._blocked(norm, hit, hits, scan):
                continue
            if group == ESCALATOR:
                escalator_hits.append(hit)
                continue
            whose = view.whose(hit.start, hit.end, key)
            if whose == ACTOR:
                whose, key = SELF, VIOLENCE
            if whose == HYPERBOLE:
                scan.suppressed += 1
            elif whose == OTHER:
                scan.others[key] = max(scan.others.get(key, 0), weight)
                other_hits.append(hit)
            elif whose != SELF:
                scan.unattributed += 1
            elif self._negation(norm, hit) == _KEPT_PAST or view.is_past(hit.start, hit.end,
                                                                         past, current):
                scan.severities[key] = max(scan.severities.get(key, 0), 1)
            else:
                scan.severities[key] = max(scan.severities.get(key, 0), weight)
                scan.current.add(key)
                own_sentences.add(view.sentence_index(hit.start))
        escalator_sentences = {view.sentence_index(h.start) for h in escalator_hits
                               if not self._escalators[h.tag[1]].same_sentence}
        planned = any(h.tag[1] == PLAN for h in escalator_hits)
        for hit in escalator_hits:
            sentence = view.sentence_index(hit.start)
            if (not self._escalators[hit.tag[1]].same_sentence or not scan.severities or planned
                    or sentence in own_sentences | escalator_sentences):
                scan.escalators.add(hit.tag[1])
        if BYSTANDER_ESCALATOR in scan.escalators:  # an emergency in front of the writer
            for hit in other_hits:
                label, weight = hit.tag[1], hit.tag[2]
                if label in BYSTANDER_CATEGORIES and weight >= 2:
                    scan.severities[label] = max(scan.severities.get(label, 0), weight)
                    scan.current.add(label)
        return scan

    def _blocked(self, norm: str, hit: Hit, hits: list[Hit], scan: UserScan) -> bool:
        """Suppressed by a non-crisis span or negated (and counted as such). A hit inside a
        longer negated one goes with it ("no thoughts of suicide" drops "suicide" too)."""
        if any(h.tag[0] == NON_CRISIS and hit.overlaps(h) for h in hits):
            scan.suppressed += 1
            return True
        if self._negation(norm, hit) == _NEGATED or any(
                h.tag[0] in (CATEGORY, WEAK) and h is not hit and h.start <= hit.start
                and hit.end <= h.end and (h.start, h.end) != (hit.start, hit.end)
                and self._negation(norm, h) == _NEGATED for h in hits):
            scan.negated += 1
            return True
        return False

    def _negation(self, norm: str, hit: Hit) -> str:
        """``_NEGATED``, ``_KEPT``, or ``_KEPT_PAST`` for "I'm not self-harming anymore" (a
        negated act followed by "anymore": it happened, and it stopped)."""
        if not norm[hit.start].isascii():
            return _KEPT
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
            return _KEPT
        if (len(cues) + phrase_cues) % 2 == 0:  # "not sure I won't": the cues cancel out
            return _KEPT
        if cues and any(w in rules.reversals for w in words[cues[-1] + 1:]):
            return _KEPT  # "can't stop thinking about ..."
        following = _WORD.match(norm, hit.end + 1) if hit.end < len(norm) else None
        if not (following and following.group() in rules.after_reversals):
            return _NEGATED
        wanting = cues and any(w in _WANTING for w in words[cues[-1] + 1:])
        return _KEPT_PAST if following.group() == "anymore" and not wanting else _KEPT

    def risk_level(self, severities: dict[str, int], escalators: set[str],
                   current: set[str] | None = None) -> str:
        """The level of the writer's labels; escalators raise only ``current`` labels (all of
        them when ``None``) and only the categories they apply to."""
        if not severities:
            return RISK_LEVELS[0]
        top = len(RISK_LEVELS) - 1
        level = 0
        imminent_kinds = self.lexicon.imminent_requires
        for label, severity in severities.items():
            applicable = set() if current is not None and label not in current else {
                e for e in escalators if label in self._escalators[e].applies_to}
            score = min(severity + sum(self._escalators[e].points for e in applicable), top)
            if score == top and not applicable & imminent_kinds:
                score -= 1
            level = max(level, score)
        return RISK_LEVELS[level]

    def scan_level(self, scan: UserScan) -> str:
        return self.risk_level(scan.severities, scan.escalators, scan.current)

    def labels(self, severities: dict[str, int]) -> tuple[str, ...]:
        return tuple(sorted(severities, key=self._order.__getitem__))

    def needs_safe_reply(self, scan: UserScan) -> bool:
        return RISK_LEVELS.index(self.scan_level(scan)) >= self.reply_check_min_severity

    # -- assistant replies -------------------------------------------------------------------
    def scan_reply(self, text: str) -> ReplyScan:
        norm = normalize(text)
        kinds = (RESOURCE, PLANNING, DISMISSIVE, REFERRAL, SUPPORT)
        found: dict[str, list[str]] = {kind: [] for kind in kinds}
        last_end: dict[str, int] = {}
        # Longest first at each start; a hit inside an earlier one of its kind adds nothing
        # ("call or text 988" covers "text 988" and "988").
        for hit in sorted(self._reply.find(norm), key=lambda h: (h.start, -h.end)):
            kind = hit.tag[0]
            if hit.end <= last_end.get(kind, -1):
                continue
            last_end[kind] = hit.end
            found[kind].append(norm[hit.start:hit.end])
        return ReplyScan(*(tuple(dict.fromkeys(found[k])) for k in kinds))

    # -- conversations -----------------------------------------------------------------------
    def tag(self, messages: list[Any]) -> CrisisTag:
        """Tag one conversation's messages (``Conversation.messages``); indexes are into it.

        A reply is judged after a flagged user turn, at that turn's own level, and after a later
        user turn whose escalators raise the conversation's level ("I have the pills and it's
        tonight"), at the raised level.
        """
        severities: dict[str, int] = {}
        current: set[str] = set()
        escalators: set[str] = set()
        others: set[str] = set()
        flagged: list[int] = []
        unsafe: list[int] = []
        negated = suppressed = 0
        for n, message in enumerate(messages):
            if message["role"] != "user":
                continue
            scan = self.scan_user(message["content"])
            negated += scan.negated
            suppressed += scan.suppressed
            others.update(scan.others)
            if scan.severities:
                flagged.append(n)
                for label, severity in scan.severities.items():
                    severities[label] = max(severities.get(label, 0), severity)
                current |= scan.current
            if not flagged:
                continue
            before = self.risk_level(severities, escalators, current)
            escalators |= scan.escalators
            level = self.risk_level(severities, escalators, current)
            if scan.severities:
                level = self.scan_level(scan)  # a flagged turn is judged at its own level
            elif level == before:
                continue  # a later turn is judged only when it raises the level
            following = messages[n + 1] if n + 1 < len(messages) else None
            if following is not None and following["role"] == "assistant" and \
                    RISK_LEVELS.index(level) >= self.reply_check_min_severity and \
                    not self.scan_reply(following["content"]).safe_for(level):
                unsafe.append(n + 1)
        return CrisisTag(
            labels=self.labels(severities),
            risk_level=self.risk_level(severities, escalators, current),
            flagged_turns=tuple(flagged),
            unsafe_turns=tuple(unsafe),
            negated=negated,
            suppressed=suppressed,
            concern_for_other=self.labels({label: 1 for label in others}),
        )


@functools.lru_cache(maxsize=8)
def _detector_for(path: str | None, reply_check_min_severity: int) -> CrisisDetector:
    return CrisisDetector(load_lexicon(path), reply_check_min_severity=reply_check_min_severity)


def default_detector(lexicon_path: str | Path | None = None, *,
                     reply_check_min_severity: int = 2) -> CrisisDetector:
    """The detector for a lexicon file (the shipped one by default), compiled once per process."""
    return _detector_for(str(lexicon_path) if lexicon_path is not None else None,
                         reply_check_min_severity)
