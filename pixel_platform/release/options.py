"""Build options of a release and the gate context derived from them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from pixel_platform.core.errors import ConfigError
from pixel_platform.core.progress import Progress, no_progress
from pixel_platform.curation.dedup import DedupConfig
from pixel_platform.curation.dedup.config import MAX_DUPLICATE_RATE
from pixel_platform.registry.model import Registry
from pixel_platform.release.bias_qa import BiasQaConfig, load_bias_qa_config
from pixel_platform.release.curriculum import Curriculum, load_curriculum
from pixel_platform.release.fidelity import FidelityLimits
from pixel_platform.release.layout import (
    BUILDS_PREFIX,
    FINAL_PREFIX,
    INPUT_CACHE_PREFIX,
    RELEASES_PREFIX,
    SCAN_CACHE_PREFIX,
    STAGING_PREFIX,
)
from pixel_platform.release.ownership import DEFAULT_STALE_AFTER_S
from pixel_platform.release.pii_memo import PII_MEMO_PREFIX
from pixel_platform.release.spill import DEFAULT_BUFFER_BYTES as DEFAULT_SORT_BUFFER_BYTES
from pixel_platform.release.split import DEFAULT_RATIOS, MIN_CLUSTERS_FOR_SPLIT, SPLIT_SALT
from pixel_platform.release.waivers import CoverageWaiver, waivers_from_options
from pixel_platform.review.log import REVIEW_PREFIX

DEFAULT_SHARD_MAX_BYTES = 128 * 1024 * 1024
# Options of a build that reuses nothing of the last one (a cold build; same files).
NO_REUSE: dict[str, None] = {"input_cache_prefix": None, "scan_cache_prefix": None}
# What the PII gate rescans for: structured identifiers. Names and places need the NER model
# and are the redactor's job; a rescan that guessed at names would fail releases on noise.
STRUCTURED_PII = ("EMAIL_ADDRESS", "PHONE_NUMBER", "US_SSN", "CREDIT_CARD", "IP_ADDRESS", "URL")
DEDUP_GATE_FIELDS = ("shingle_size", "num_perm", "bands", "rows", "threshold", "seed", "scheme")


@dataclass(frozen=True)
class ReleaseOptions:
    version: str | None = None  # default v<today UTC>; "-2", "-3", ... when taken
    commercial: bool = True  # exclude non-commercial licences
    shard_max_bytes: int = DEFAULT_SHARD_MAX_BYTES
    split_ratios: tuple[float, float, float] = DEFAULT_RATIOS
    tolerance: float = 0.02  # absolute, on each split's share of stratified records
    min_clusters_for_split: int = MIN_CLUSTERS_FOR_SPLIT
    # family -> (min share, max share) of released records; "*" applies to every other family.
    family_share_bounds: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    # Families that may be absent from the release (Coverage gate), each with its reason and
    # source (release.waivers); build_release adds the registry's and records them all.
    coverage_waivers: tuple[CoverageWaiver, ...] = ()
    # family -> why its generators produced nothing (derived.status.derived_skipped): recorded
    # in the manifest with the reason, and absent from the release without failing Coverage.
    derived_skipped: Mapping[str, str] = field(default_factory=dict)
    max_duplicate_rate: float = MAX_DUPLICATE_RATE
    dedup: DedupConfig = field(default_factory=DedupConfig)
    fidelity: FidelityLimits = field(default_factory=FidelityLimits)
    # The Bias/QA report's warning thresholds and whether LATEST waits for its review
    # (release/bias_qa.yaml; release.bias_qa, release.review).
    bias_qa: BiasQaConfig = field(default_factory=load_bias_qa_config)
    pipeline_version: str = ""
    git_sha: str = ""
    # What the caller's inputs hash to (pipeline.release.inputs_fingerprint), recorded in the
    # manifest so that the next build can tell it would rebuild the same release.
    inputs_fingerprint: str = ""
    curriculum_path: str | None = None
    split_salt: str = SPLIT_SALT
    releases_prefix: str = RELEASES_PREFIX
    staging_prefix: str = STAGING_PREFIX
    final_prefix: str = FINAL_PREFIX
    builds_prefix: str = BUILDS_PREFIX
    # A build on another host whose marker was not refreshed for this long counts as dead.
    stale_build_after_s: float = DEFAULT_STALE_AFTER_S
    publish_on_failure: bool = True  # publish the version (marked failed) when a gate fails
    # Where the build's PII gate remembers the turns it found clean (release.pii_memo); None:
    # scan every turn.
    pii_memo_prefix: str | None = PII_MEMO_PREFIX
    # Where the build keeps its shards' gate scans for the next build (release.scan_cache);
    # None: scan every shard.
    scan_cache_prefix: str | None = SCAN_CACHE_PREFIX
    # Where the build keeps what pass 1 made of each input partition (release.input_cache),
    # used for the partitions named in input_digests (key -> sha256, from the dedup report);
    # None or no digests: read every partition.
    input_cache_prefix: str | None = INPUT_CACHE_PREFIX
    input_digests: Mapping[str, str] = field(default_factory=dict)
    # The review log whose decisions the build applies to records (review.book).
    review_prefix: str = REVIEW_PREFIX
    # Local scratch for the record spill and the sort's runs (about twice the release's size at
    # peak); None: the system's temporary directory ($TMPDIR). Memory stays about
    # sort_buffer_bytes plus the split plan, however large the release.
    spill_dir: str | None = None
    sort_buffer_bytes: int = DEFAULT_SORT_BUFFER_BYTES
    # Processes for the gates' shard scan (release.scan); None: one per core when the release
    # is large enough to pay for their start-up, else this process.
    gate_workers: int | None = None
    # PEM Ed25519 private key (release.signing), kept outside the bucket: the build signs the
    # manifest with it (manifest.json.sig). None: unsigned; the digest is recorded all the same.
    signing_key_path: str | None = None
    # Called with "chosen" (version claimed), "staged", "gated", "publishing" and "published":
    # a test hook (kill and concurrency tests).
    hook: Callable[[str], None] | None = field(default=None, compare=False)
    clock: Callable[[], datetime] | None = field(default=None, compare=False)
    # Hears of each stage of the build (``core.progress``): inputs read, split and sort, shards
    # written, each gate as it runs. Not recorded anywhere.
    progress: Progress = field(default=no_progress, compare=False)

    def __post_init__(self) -> None:
        ratios = self.split_ratios
        if len(ratios) != 3 or any(r < 0 for r in ratios) or abs(sum(ratios) - 1.0) > 1e-9:
            raise ConfigError(f"split_ratios must be three shares adding up to 1, got {ratios}")
        if self.shard_max_bytes < 1024:
            raise ConfigError("shard_max_bytes must be at least 1024")
        if self.sort_buffer_bytes < 1:
            raise ConfigError("sort_buffer_bytes must be positive")
        if not all(isinstance(w, CoverageWaiver) for w in self.coverage_waivers):
            raise ConfigError("coverage_waivers are CoverageWaiver (release.waivers.parse_waiver)")
        for family, (low, high) in self.family_share_bounds.items():
            if not 0.0 <= low <= high <= 1.0:
                raise ConfigError(f"family_share_bounds[{family!r}] must be 0 <= min <= max <= 1")

    def gate_options(self) -> dict[str, Any]:
        """What the gates need, as recorded in the manifest (``options``)."""
        return {
            "commercial": self.commercial,
            "split_ratios": list(self.split_ratios),
            "tolerance": self.tolerance,
            "min_clusters_for_split": self.min_clusters_for_split,
            "family_share_bounds": {
                k: list(v) for k, v in sorted(self.family_share_bounds.items())
            },
            "waived_families": sorted({w.family for w in self.coverage_waivers}),
            "coverage_waivers": [w.as_dict() for w in sorted(set(self.coverage_waivers))],
            "derived_skipped": dict(sorted(self.derived_skipped.items())),
            "max_duplicate_rate": self.max_duplicate_rate,
            "dedup": {k: getattr(self.dedup, k) for k in DEDUP_GATE_FIELDS},
            "fidelity": self.fidelity.as_dict(),
            "releases_prefix": self.releases_prefix,
            "split_salt": self.split_salt,
            "shard_max_bytes": self.shard_max_bytes,
        }


@dataclass(frozen=True)
class GateContext:
    """Everything a gate needs besides the release files."""

    registry: Registry
    curriculum: Curriculum
    commercial: bool = True
    split_ratios: tuple[float, float, float] = DEFAULT_RATIOS
    tolerance: float = 0.02
    min_clusters_for_split: int = MIN_CLUSTERS_FOR_SPLIT
    family_share_bounds: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    # Waived families plus the derived families skipped for lack of inputs (``derived_skipped``,
    # with their reasons): what the Coverage gate lets be absent.
    waived_families: frozenset[str] = frozenset()
    coverage_waivers: tuple[CoverageWaiver, ...] = ()  # the waivers, with reason and source
    derived_skipped: Mapping[str, str] = field(default_factory=dict)
    max_duplicate_rate: float = MAX_DUPLICATE_RATE
    dedup: DedupConfig = field(default_factory=DedupConfig)
    fidelity: FidelityLimits = field(default_factory=FidelityLimits)
    # Where the releases this one is compared with are (the Fidelity gate's last release).
    releases_prefix: str = RELEASES_PREFIX
    pii_entities: tuple[str, ...] = STRUCTURED_PII
    max_examples: int = 20
    # Set by a build only (see release.pii_memo): audits scan every turn.
    pii_memo_prefix: str | None = None
    # Set by a build only (see release.scan_cache): the last build's shard scans, reused for
    # shards whose bytes did not change.
    scan_cache_prefix: str | None = None
    # Processes for the gates' shard scan (release.scan); None: by release size and cores.
    scan_workers: int | None = None

    @classmethod
    def from_options(
        cls, registry: Registry, curriculum: Curriculum, options: ReleaseOptions
    ) -> GateContext:
        ctx = cls.from_dict(registry, curriculum, options.gate_options())
        return replace(
            ctx,
            pii_memo_prefix=options.pii_memo_prefix,
            scan_cache_prefix=options.scan_cache_prefix,
            scan_workers=options.gate_workers,
        )

    @classmethod
    def from_dict(
        cls, registry: Registry, curriculum: Curriculum, options: Mapping[str, Any]
    ) -> GateContext:
        dedup = DedupConfig.from_dict(options.get("dedup") or {})
        ratios = tuple(options.get("split_ratios") or DEFAULT_RATIOS)
        skipped = {str(k): str(v) for k, v in (options.get("derived_skipped") or {}).items()}
        waivers = waivers_from_options(options)
        return cls(
            registry=registry,
            curriculum=curriculum,
            commercial=bool(options.get("commercial", True)),
            split_ratios=(float(ratios[0]), float(ratios[1]), float(ratios[2])),
            tolerance=float(options.get("tolerance", 0.02)),
            min_clusters_for_split=int(
                options.get("min_clusters_for_split", MIN_CLUSTERS_FOR_SPLIT)
            ),
            family_share_bounds={
                str(k): (float(v[0]), float(v[1]))
                for k, v in (options.get("family_share_bounds") or {}).items()
            },
            waived_families=frozenset(options.get("waived_families") or ())
            | {w.family for w in waivers}
            | set(skipped),
            coverage_waivers=waivers,
            derived_skipped=skipped,
            max_duplicate_rate=float(options.get("max_duplicate_rate", MAX_DUPLICATE_RATE)),
            dedup=dedup,
            fidelity=FidelityLimits.from_dict(options.get("fidelity")),
            releases_prefix=str(options.get("releases_prefix") or RELEASES_PREFIX),
        )

    @classmethod
    def from_manifest(
        cls,
        registry: Registry,
        manifest: Mapping[str, Any] | None,
        curriculum: Curriculum | None = None,
    ) -> GateContext:
        """The context a release was gated with (its manifest's ``options``); the defaults when
        there is no manifest, so a release without one can still be checked (and fail Hash)."""
        options = (manifest or {}).get("options") or {}
        return cls.from_dict(registry, curriculum or load_curriculum(), options)
