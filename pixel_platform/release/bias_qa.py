"""The Bias/QA report of a release: coverage and how replies differ across the groups users name.

``reports/bias_qa.json`` (and the "Bias and coverage" section of ``report.html``) says, over the
released records:

* **Coverage**: records per family and split, per language (``metadata.quality.language``) and
  per topic. A record's topics come from the labels its source carries (counsel-chat's
  ``topic``, problem types and emotions; ``topic_taxonomy.yaml`` maps them), else from a keyword
  classifier over its user turns (same file); the raw source labels are counted as well.
* **Groups**: mentions of demographic and cultural groups (``bias_terms.yaml``: gender, age,
  ethnicity, religion, sexuality, disability, migration and culture-specific idioms of distress)
  in user turns, and the assistant replies that follow such a turn compared with the replies to
  turns that mention no group (``reference``): mean length in words, hotline rate (a crisis
  resource named: ``ReplyScan.resources``), referral rate, crisis-unsafe rate (the crisis
  classifier's verdict on the reply for the turn it answers, ``curation.crisis``).
* **Warnings**: the numbers against the thresholds of ``bias_qa.yaml`` (or the run config's);
  they never block a release (the asset check ``dataset_release_bias_qa`` has severity WARN).

Matching is case-insensitive on word boundaries; a term of several words matches with spaces or
hyphens between them. ``BiasPartial`` is a sum of counts over records, so partials of shards
merge (in any order) to the partial of the release: the gate scan computes one per shard
(``release.scan``, part ``bias``), the scan cache keeps it, and a build from caches writes the
same bytes as a cold one. Only counts, codes, group and topic names and short source labels are
kept: never conversation text.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml

from pixel_platform.core.counts import add_counts
from pixel_platform.core.errors import ConfigError
from pixel_platform.curation.crisis import default_detector

HERE = Path(__file__).parent
DEFAULT_TERMS = HERE / "bias_terms.yaml"
DEFAULT_TAXONOMY = HERE / "topic_taxonomy.yaml"
DEFAULT_CONFIG = HERE / "bias_qa.yaml"
SCHEMA = "pixel-bias-qa/1"
UNCLASSIFIED = "unclassified"
OTHER_LABEL = "<other>"  # a source value that does not look like a label (it may be text)
RARE_LABEL = "<rare>"  # a label the taxonomy does not know, on fewer than MIN_LABEL_RECORDS
MIN_LABEL_RECORDS = 5  # records: a value this common is a category, not someone's words
NO_LANGUAGE = "unknown"
REFERENCE = "reference"  # replies to user turns that mention no group
_LABEL = re.compile(r"^\w[\w &/'.]{0,31}$")  # any script: sources label in Chinese too
_SEPARATORS = re.compile(r"[\s_-]+")
_LIST = re.compile(r"[,;|]")
_WORDS = re.compile(r"\S+")
_TOKEN = re.compile(r"\w+")
_SPACE_GAP = re.compile(r"[\s-]+")


# -- the term lists --------------------------------------------------------------------------------
def _norm(term: str) -> str:
    return _SEPARATORS.sub(" ", term.strip().lower())


class TermMatcher:
    """Terms -> their key (a group or a topic), matched case-insensitively on word boundaries.

    A term is a run of word tokens (``\\w+``); between two of them a space in the term matches
    any run of spaces and hyphens in the text, anything else (``asperger's``) itself. ``find``
    looks the text's tokens up in a table of terms by their tokens (the longest match at each
    position, then on after it): the matches of ``(?<!\\w)(?:term|…)(?!\\w)`` with the longer
    terms first, at the cost of a dict lookup per word instead of a regex alternation tried at
    every character (the alternation made the report 1 ms a record).
    """

    def __init__(self, terms: Mapping[str, Iterable[str]]) -> None:
        self.key_of: dict[str, str] = {}
        for key, words in terms.items():
            for word in words:
                norm = _norm(str(word))
                if not norm:
                    raise ConfigError(f"an empty term under {key!r}")
                if self.key_of.setdefault(norm, key) != key:
                    raise ConfigError(
                        f"term {norm!r} is under both {self.key_of[norm]!r} and {key!r}"
                    )
        # tokens -> [(the gaps between them, key)], the longer term (in characters) first
        self._terms: dict[tuple[str, ...], list[tuple[tuple[str, ...], str]]] = defaultdict(list)
        for norm in sorted(self.key_of, key=lambda t: (-len(t), t)):
            spans = [m.span() for m in _TOKEN.finditer(norm)]
            if not spans or spans[0][0] != 0 or spans[-1][1] != len(norm):
                raise ConfigError(f"term {norm!r} must begin and end with a letter or digit")
            tokens = tuple(norm[a:b] for a, b in spans)
            gaps = tuple(norm[spans[k][1] : spans[k + 1][0]] for k in range(len(spans) - 1))
            self._terms[tokens].append((gaps, self.key_of[norm]))
        self._longest = max((len(t) for t in self._terms), default=0)
        self._first = {tokens[0] for tokens in self._terms}
        self._anchors = {max(tokens, key=len) for tokens in self._terms}

    def find(self, text: str) -> Counter[str]:
        """Matches per key in ``text``."""
        found: Counter[str] = Counter()
        lowered = text.lower()
        if self._anchors.isdisjoint(_TOKEN.findall(lowered)):
            return found  # most turns: no term can match (its longest word is absent)
        spans = [m.span() for m in _TOKEN.finditer(lowered)]
        words = [lowered[a:b] for a, b in spans]
        i = 0
        while i < len(words):
            if words[i] not in self._first:
                i += 1
                continue
            best: tuple[int, int, str] | None = None  # (characters, tokens, key)
            for n in range(min(self._longest, len(words) - i), 0, -1):
                for gaps, key in self._terms.get(tuple(words[i : i + n]), ()):
                    if all(
                        _gap_matches(lowered[spans[i + k][1] : spans[i + k + 1][0]], gap)
                        for k, gap in enumerate(gaps)
                    ):
                        width = spans[i + n - 1][1] - spans[i][0]
                        if best is None or width > best[0]:
                            best = (width, n, key)
                        break
            if best is None:
                i += 1
                continue
            found[best[2]] += 1
            i += best[1]
        return found


def _gap_matches(text_gap: str, term_gap: str) -> bool:
    return bool(_SPACE_GAP.fullmatch(text_gap)) if term_gap == " " else text_gap == term_gap


@dataclass(frozen=True)
class Vocabulary:
    """The group terms and the topic taxonomy, compiled."""

    groups: dict[str, str]  # "axis/group" -> axis, in file order
    mentions: TermMatcher
    topics: tuple[str, ...]
    keywords: TermMatcher
    aliases: dict[str, str]  # normalised source label -> topic
    source_fields: tuple[str, ...]
    digest: str  # sha256 of both files' bytes: which lists a report was made with

    def source_topics(self, metadata: Mapping[str, Any]) -> tuple[set[str], list[tuple[str, str]]]:
        """Topics from the labels the source carries, and each label found as (field, label)."""
        topics: set[str] = set()
        labels: list[tuple[str, str]] = []
        for path in self.source_fields:
            value: Any = metadata
            for step in path.split("."):
                value = value.get(step) if isinstance(value, Mapping) else None
            items = value if isinstance(value, list) else [value]
            # "Relationships,Family Conflict": counsel-chat lists several topics in one cell
            parts = [p for i in items if isinstance(i, str) for p in _LIST.split(i)]
            for part in parts:
                label = _norm(part)
                if not label:
                    continue
                if label in self.aliases:
                    topics.add(self.aliases[label])
                keep = _LABEL.match(label) and len(label.split(" ")) <= 3
                labels.append((path, label if keep else OTHER_LABEL))
        return topics, labels


def load_vocabulary(
    terms_path: str | Path | None = None, taxonomy_path: str | Path | None = None
) -> Vocabulary:
    return _vocabulary(str(terms_path or DEFAULT_TERMS), str(taxonomy_path or DEFAULT_TAXONOMY))


@functools.lru_cache(maxsize=4)
def _vocabulary(terms_path: str, taxonomy_path: str) -> Vocabulary:
    terms_bytes, taxonomy_bytes = Path(terms_path).read_bytes(), Path(taxonomy_path).read_bytes()
    terms, taxonomy = yaml.safe_load(terms_bytes) or {}, yaml.safe_load(taxonomy_bytes) or {}
    axes = terms.get("axes")
    if not isinstance(axes, dict) or not axes:
        raise ConfigError(f"{terms_path}: no `axes`")
    groups: dict[str, str] = {}
    group_terms: dict[str, list[str]] = {}
    for axis, entries in axes.items():
        for group, words in (entries or {}).items():
            groups[f"{axis}/{group}"] = str(axis)
            group_terms[f"{axis}/{group}"] = list(words or ())
    topics = taxonomy.get("topics")
    if not isinstance(topics, dict) or not topics:
        raise ConfigError(f"{taxonomy_path}: no `topics`")
    aliases: dict[str, str] = {}
    for topic, spec in topics.items():
        for alias in (spec or {}).get("aliases") or ():
            aliases.setdefault(_norm(str(alias)), str(topic))
    digest = hashlib.sha256(terms_bytes + b"\0" + taxonomy_bytes).hexdigest()
    return Vocabulary(
        groups=groups,
        mentions=TermMatcher(group_terms),
        topics=tuple(str(t) for t in topics),
        keywords=TermMatcher({t: (s or {}).get("keywords") or () for t, s in topics.items()}),
        aliases=aliases,
        source_fields=tuple(str(f) for f in taxonomy.get("source_fields") or ()),
        digest=digest,
    )


# -- the config ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Thresholds:
    min_replies: int = 30
    reply_words_ratio: float = 1.5
    hotline_rate_gap: float = 0.1
    referral_rate_gap: float = 0.15
    unsafe_rate_max: float = 0.02
    min_topic_share: float = 0.005

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Thresholds:
        data = dict(data or {})
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise ConfigError(f"bias_qa thresholds: unknown {sorted(unknown)}")
        try:
            values: dict[str, Any] = {
                f.name: (int if f.name == "min_replies" else float)(data[f.name])
                for f in fields(cls)
                if f.name in data
            }
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"bias_qa thresholds: {exc}") from None
        return cls(**values)


@dataclass(frozen=True)
class BiasQaConfig:
    """``bias_qa.yaml``: the thresholds of the warnings and whether LATEST waits for review."""

    require_review: bool = False
    thresholds: Thresholds = field(default_factory=Thresholds)

    def as_dict(self) -> dict[str, Any]:
        return {"require_review": self.require_review, "thresholds": self.thresholds.as_dict()}

    def with_overrides(self, overrides: Mapping[str, Any] | None) -> BiasQaConfig:
        """This config with a run config's ``{require_review, thresholds: {...}}`` on top."""
        overrides = overrides or {}
        unknown = set(overrides) - {"require_review", "thresholds"}
        if unknown:
            raise ConfigError(f"bias_qa: unknown {sorted(unknown)}")
        thresholds = {**self.thresholds.as_dict(), **(overrides.get("thresholds") or {})}
        review = overrides.get("require_review")
        return replace(
            self,
            require_review=self.require_review if review is None else bool(review),
            thresholds=Thresholds.from_dict(thresholds),
        )


def load_bias_qa_config(path: str | Path | None = None) -> BiasQaConfig:
    data = yaml.safe_load(Path(path or DEFAULT_CONFIG).read_text(encoding="utf-8")) or {}
    return BiasQaConfig(
        require_review=bool(data.get("require_review", False)),
        thresholds=Thresholds.from_dict(data.get("thresholds")),
    )

# -- the partial -----------------------------------------------------------------------------------
@dataclass
class ReplyTally:
    """Counts of one group: mentions, and the replies that follow its turns."""

    mentions: int = 0
    user_turns: int = 0
    records: int = 0
    replies: int = 0
    reply_words: int = 0
    hotline: int = 0
    referral: int = 0
    needs_response: int = 0
    unsafe: int = 0

    def add(self, other: ReplyTally) -> None:
        add_counts(self, other)

    def add_reply(
        self, words: int, hotline: bool, referral: bool, needs: bool, unsafe: bool
    ) -> None:
        self.replies += 1
        self.reply_words += words
        self.hotline += hotline
        self.referral += referral
        self.needs_response += needs
        self.unsafe += unsafe

    def state(self) -> list[int]:
        return [getattr(self, name) for name in GROUP_FIELDS]

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {name: getattr(self, name) for name in GROUP_FIELDS}
        out.update(rates(self))
        return out


GROUP_FIELDS = tuple(f.name for f in fields(ReplyTally))  # the state's order, as declared


def rates(tally: ReplyTally) -> dict[str, float]:
    n = tally.replies
    return {
        "mean_reply_words": round(tally.reply_words / n, 2) if n else 0.0,
        "hotline_rate": round(tally.hotline / n, 4) if n else 0.0,
        "referral_rate": round(tally.referral / n, 4) if n else 0.0,
        "unsafe_rate": round(tally.unsafe / n, 4) if n else 0.0,
    }


def _nested() -> defaultdict[str, Counter[str]]:
    return defaultdict(Counter)


@dataclass
class BiasPartial:
    """The report's counts over some records (a shard, a release); ``merge`` adds two."""

    records: int = 0
    family_split: defaultdict[str, Counter[str]] = field(default_factory=_nested)
    languages: Counter[str] = field(default_factory=Counter)
    topics: Counter[str] = field(default_factory=Counter)
    topic_origin: Counter[str] = field(default_factory=Counter)
    topic_split: defaultdict[str, Counter[str]] = field(default_factory=_nested)
    topic_family: defaultdict[str, Counter[str]] = field(default_factory=_nested)
    source_labels: defaultdict[str, Counter[str]] = field(default_factory=_nested)
    groups: defaultdict[str, ReplyTally] = field(default_factory=lambda: defaultdict(ReplyTally))
    reference: ReplyTally = field(default_factory=ReplyTally)
    all_replies: ReplyTally = field(default_factory=ReplyTally)

    def add(self, record: Mapping[str, Any], split: str, vocabulary: Vocabulary) -> None:
        metadata = record.get("metadata")
        metadata = metadata if isinstance(metadata, Mapping) else {}
        prov = metadata.get("provenance")
        family = str(prov.get("family")) if isinstance(prov, Mapping) else "None"
        quality = metadata.get("quality")
        language = quality.get("language") if isinstance(quality, Mapping) else None
        self.records += 1
        self.family_split[family][split] += 1
        self.languages[str(language) if language else NO_LANGUAGE] += 1
        messages = [m for m in record.get("messages") or () if isinstance(m, Mapping)]
        users = [str(m.get("content") or "") for m in messages if m.get("role") == "user"]
        topics, labels = vocabulary.source_topics(metadata)
        for path, label in labels:
            self.source_labels[path][label] += 1
        origin = "source_label" if topics else "keywords"
        if not topics:
            topics = {t for text in users for t in vocabulary.keywords.find(text)}
        if not topics:
            topics, origin = {UNCLASSIFIED}, UNCLASSIFIED
        self.topic_origin[origin] += 1
        for topic in topics:
            self.topics[topic] += 1
            self.topic_split[topic][split] += 1
            self.topic_family[family][topic] += 1
        self._groups(messages, vocabulary)

    def _groups(self, messages: list[Mapping[str, Any]], vocabulary: Vocabulary) -> None:
        detector = default_detector()
        in_record: set[str] = set()
        for i, message in enumerate(messages):
            if message.get("role") != "user":
                continue
            text = str(message.get("content") or "")
            found = vocabulary.mentions.find(text)
            for group, n in found.items():
                tally = self.groups[group]
                tally.mentions += n
                tally.user_turns += 1
                in_record.add(group)
            reply = messages[i + 1] if i + 1 < len(messages) else None
            if reply is None or reply.get("role") != "assistant":
                continue
            reply_text = str(reply.get("content") or "")
            scan, answer = detector.scan_user(text), detector.scan_reply(reply_text)
            needs = detector.needs_safe_reply(scan)
            unsafe = needs and not answer.safe_for(detector.scan_level(scan))
            facts = (
                len(_WORDS.findall(reply_text)), bool(answer.resources), bool(answer.referral),
                needs, unsafe,
            )  # fmt: skip
            self.all_replies.add_reply(*facts)
            for tally in [self.groups[g] for g in found] if found else [self.reference]:
                tally.add_reply(*facts)
        for group in in_record:
            self.groups[group].records += 1

    def merge(self, other: BiasPartial) -> None:
        self.records += other.records
        for mine, theirs in (
            (self.family_split, other.family_split), (self.topic_split, other.topic_split),
            (self.topic_family, other.topic_family), (self.source_labels, other.source_labels),
        ):  # fmt: skip
            for key, counts in theirs.items():
                mine[key].update(counts)
        self.languages.update(other.languages)
        self.topics.update(other.topics)
        self.topic_origin.update(other.topic_origin)
        for group, tally in other.groups.items():
            self.groups[group].add(tally)
        self.reference.add(other.reference)
        self.all_replies.add(other.all_replies)

    # -- the scan cache's JSON document ---------------------------------------------------------
    def to_state(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "family_split": self.family_split,
            "languages": self.languages,
            "topics": self.topics,
            "topic_origin": self.topic_origin,
            "topic_split": self.topic_split,
            "topic_family": self.topic_family,
            "source_labels": self.source_labels,
            "groups": {g: t.state() for g, t in self.groups.items()},
            "reference": self.reference.state(),
            "all_replies": self.all_replies.state(),
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> BiasPartial:
        def nested(data: Mapping[str, Mapping[str, int]]) -> defaultdict[str, Counter[str]]:
            out = _nested()
            for key, counts in data.items():
                out[key] = Counter(counts)
            return out

        groups: defaultdict[str, ReplyTally] = defaultdict(ReplyTally)
        for group, values in state["groups"].items():
            groups[group] = ReplyTally(*values)
        return cls(
            records=int(state["records"]),
            family_split=nested(state["family_split"]),
            languages=Counter(state["languages"]),
            topics=Counter(state["topics"]),
            topic_origin=Counter(state["topic_origin"]),
            topic_split=nested(state["topic_split"]),
            topic_family=nested(state["topic_family"]),
            source_labels=nested(state["source_labels"]),
            groups=groups,
            reference=ReplyTally(*state["reference"]),
            all_replies=ReplyTally(*state["all_replies"]),
        )


# -- the report ------------------------------------------------------------------------------------
def _sorted(counts: Mapping[str, int]) -> dict[str, int]:
    return {k: int(counts[k]) for k in sorted(counts)}


def _by_count(counts: Mapping[str, int]) -> dict[str, int]:
    return {k: int(v) for k, v in sorted(counts.items(), key=lambda item: (-item[1], item[0]))}


def _common(labels: Mapping[str, int], vocabulary: Vocabulary) -> Counter[str]:
    """Labels as shown: a known alias or one on ``MIN_LABEL_RECORDS`` records, else ``<rare>``."""
    out: Counter[str] = Counter()
    for label, n in labels.items():
        known = label in vocabulary.aliases or n >= MIN_LABEL_RECORDS or label == OTHER_LABEL
        out[label if known else RARE_LABEL] += n
    return out


def report_document(
    partial: BiasPartial, vocabulary: Vocabulary, config: BiasQaConfig
) -> dict[str, Any]:
    """``reports/bias_qa.json``: the merged counts as a document, rates and warnings included."""
    splits: Counter[str] = Counter()
    for counts in partial.family_split.values():
        splits.update(counts)
    topics = {t: int(partial.topics.get(t, 0)) for t in vocabulary.topics}
    topics[UNCLASSIFIED] = int(partial.topics.get(UNCLASSIFIED, 0))
    groups = {}
    for key, axis in vocabulary.groups.items():
        tally = partial.groups.get(key, ReplyTally())
        groups[key] = {"axis": axis, "group": key.split("/", 1)[1], **tally.as_dict()}
    document: dict[str, Any] = {
        "schema": SCHEMA,
        "lists_sha256": vocabulary.digest,
        "require_review": config.require_review,
        "thresholds": config.thresholds.as_dict(),
        "records": partial.records,
        "coverage": {
            "by_split": _sorted(splits),
            "by_family": {
                f: _sorted(partial.family_split[f]) for f in sorted(partial.family_split)
            },
            "by_language": _by_count(partial.languages),
            "by_topic": topics,
            "topic_origin": _sorted(partial.topic_origin),
            "topic_by_split": {t: _sorted(partial.topic_split.get(t, {})) for t in topics},
            "topic_by_family": {
                f: _sorted(partial.topic_family[f]) for f in sorted(partial.topic_family)
            },
            "source_labels": {
                p: _by_count(_common(partial.source_labels[p], vocabulary))
                for p in sorted(partial.source_labels)
            },
        },
        "groups": groups,
        REFERENCE: partial.reference.as_dict(),
        "all_replies": partial.all_replies.as_dict(),
    }
    document["warnings"] = evaluate(document, config.thresholds)
    return document


def evaluate(document: Mapping[str, Any], thresholds: Thresholds) -> list[dict[str, Any]]:
    """The warnings of a report against ``thresholds``: kinds, group or topic names and numbers."""
    out: list[dict[str, Any]] = []
    ref = document.get(REFERENCE) or {}
    comparable = int(ref.get("replies", 0)) >= thresholds.min_replies
    for key, g in (document.get("groups") or {}).items():
        if int(g.get("replies", 0)) < thresholds.min_replies:
            continue
        if float(g["unsafe_rate"]) > thresholds.unsafe_rate_max:
            out.append(_warning("unsafe_rate", key, g["unsafe_rate"], thresholds.unsafe_rate_max))
        if not comparable:
            continue
        words, ref_words = float(g["mean_reply_words"]), float(ref["mean_reply_words"])
        ratio = thresholds.reply_words_ratio
        if ref_words and not ref_words / ratio <= words <= ref_words * ratio:
            out.append(_warning("reply_length", key, words, ratio, reference=ref_words))
        for rate, gap in (("hotline_rate", thresholds.hotline_rate_gap),
                          ("referral_rate", thresholds.referral_rate_gap)):  # fmt: skip
            if abs(float(g[rate]) - float(ref[rate])) > gap:
                out.append(_warning(rate, key, g[rate], gap, reference=ref[rate]))
    records = int(document.get("records", 0))
    coverage = document.get("coverage") or {}
    for topic, n in (coverage.get("by_topic") or {}).items():
        if topic != UNCLASSIFIED and records and n / records < thresholds.min_topic_share:
            out.append(
                _warning("topic_coverage", topic, round(n / records, 4), thresholds.min_topic_share)
            )
    return out


def _warning(
    kind: str, name: str, value: float, limit: float, reference: float | None = None
) -> dict[str, Any]:
    entry: dict[str, Any] = {"kind": kind, "name": name, "value": value, "limit": limit}
    if reference is not None:
        entry["reference"] = reference
    return entry


def check_summary(document: Mapping[str, Any], warnings: list[dict[str, Any]]) -> dict[str, Any]:
    """What the asset check shows: counts, rates and group or topic names, never text."""
    groups: Mapping[str, Mapping[str, Any]] = document.get("groups") or {}
    by_kind = Counter(str(w["kind"]) for w in warnings)
    records = int(document.get("records", 0))
    unclassified = int(
        ((document.get("coverage") or {}).get("by_topic") or {}).get(UNCLASSIFIED, 0)
    )
    return {
        "records": records,
        "warning_total": len(warnings),
        "warnings_by_kind": dict(sorted(by_kind.items())),
        "names_warned": sorted({str(w["name"]) for w in warnings}),
        "groups_mentioned": sorted(k for k, g in groups.items() if g.get("user_turns")),
        "reference_replies": int((document.get(REFERENCE) or {}).get("replies", 0)),
        "share_unclassified": round(unclassified / records, 4) if records else 0.0,
        "require_review": bool(document.get("require_review")),
        "warnings": warnings,
    }
