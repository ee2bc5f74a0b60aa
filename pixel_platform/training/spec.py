"""``TrainingJobSpec``: one frozen, YAML-serialized description of a training job.

A spec pins the release (version + sha256 of its manifest.json), the base model, the curriculum
stages, the hyperparameters (overrides of the training config), the container image, resources
(flavor, 1-4 GPUs), the volumes (release prefix read-only, checkpoint bucket read-write), env,
labels and a timeout. Releases are immutable, so specs are stored beside them, not in them:
``training/specs/<release-version>/<spec-id>.yaml`` in the data bucket.

The same spec renders into the OVH AI Training ``POST /v1/job`` body (``ovh_job_body``), the
command the local backend runs (``train_args`` with local paths) and a Kubernetes multi-node
manifest (``pixel_platform.training.k8s``). The spec id is a digest of the spec's content, so the
same spec always has the same id and its checkpoints land in the same run folder (a resubmitted
job resumes instead of starting over).

Secrets never go in a spec: it is stored in the bucket. The OVH app token is read from
``OVH_AI_TOKEN`` by the backend; S3 credentials reach the job through OVH's volume mounts.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
import yaml

from pixel_platform.core.errors import ConfigError
from pixel_platform.release.layout import (
    MANIFEST,
    RELEASES_PREFIX,
    STAGE_ORDER,
    TRL_PREFERENCE,
    prefix_of,
)
from pixel_platform.release.publish import load_manifest
from pixel_platform.storage.base import ObjectStore
from pixel_platform.storage.keys import join_key
from pixel_platform.training.config import TrainConfig, build, load_config
from pixel_platform.training.launch import MAX_GPUS_PER_JOB

SPECS_PREFIX = "training/specs/"
SPEC_SCHEMA = "pixel-training-spec/1"
PERMISSIONS = ("RO", "RW", "RWD")
RELEASE_MOUNT = "/workspace/release"
CHECKPOINT_MOUNT = "/workspace/checkpoints"
WORK_DIR = "/workspace/work"
DEFAULT_IMAGE = "pixel-platform-trainer:latest"
LABEL_VALUE = re.compile(r"[^a-z0-9_.-]+")


@dataclass(frozen=True)
class Volume:
    container: str  # the object-storage bucket
    prefix: str  # key prefix inside it ("" = the whole bucket)
    mount_path: str
    permission: str = "RO"  # RO | RW | RWD
    alias: str = "GRA"  # the OVH datastore alias the bucket is registered under
    cache: bool = False

    def __post_init__(self) -> None:
        if self.permission not in PERMISSIONS:
            raise ConfigError(f"volume {self.mount_path}: permission must be one of {PERMISSIONS}")
        if not self.mount_path.startswith("/"):
            raise ConfigError(f"volume mount path {self.mount_path!r} must be absolute")


@dataclass(frozen=True)
class Resources:
    flavor: str = "h100-1-gpu"  # per-GPU flavor; the job gets `gpus` of them
    gpus: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.gpus <= MAX_GPUS_PER_JOB:
            raise ConfigError(f"resources.gpus must be 1 to {MAX_GPUS_PER_JOB}, got {self.gpus}")


@dataclass(frozen=True)
class TrainingJobSpec:
    release_version: str
    manifest_sha256: str
    base_model: str
    stages: tuple[str, ...]
    preference_method: str
    release_volume: Volume
    checkpoint_volume: Volume
    image: str = DEFAULT_IMAGE
    resources: Resources = field(default_factory=Resources)
    # Overrides of the training config (sections sft, preference, data, runtime, model, logging).
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    timeout_s: int = 24 * 3600
    launcher: str = "deepspeed"
    schema: str = SPEC_SCHEMA
    created_at: str = ""  # not part of the id

    def __post_init__(self) -> None:
        if not self.manifest_sha256.startswith("sha256:"):
            raise ConfigError("manifest_sha256 must look like sha256:<hex>")
        if self.timeout_s <= 0:
            raise ConfigError("timeout_s must be positive")
        self.training_config()  # hyperparameters must be valid config overrides

    # -- identity and serialization -----------------------------------------------------------
    def as_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["stages"] = list(self.stages)
        return data

    @property
    def spec_id(self) -> str:
        content = self.as_dict()
        content.pop("created_at")
        digest = hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()
        return f"{self.release_version}-{digest[:12]}"

    @property
    def job_name(self) -> str:
        return f"pixel-train-{self.spec_id}"

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.as_dict(), sort_keys=False)

    @classmethod
    def from_yaml(cls, text: str) -> TrainingJobSpec:
        data = yaml.safe_load(text)
        if not isinstance(data, dict) or data.get("schema") != SPEC_SCHEMA:
            raise ConfigError(f"not a training spec (schema {SPEC_SCHEMA} expected)")
        return build(cls, data)

    def storage_key(self) -> str:
        return f"{SPECS_PREFIX}{self.release_version}/{self.spec_id}.yaml"

    # -- what runs ---------------------------------------------------------------------------------
    def training_config(self, **paths: str) -> TrainConfig:
        overrides: dict[str, Any] = {
            k: dict(v) if isinstance(v, dict) else v for k, v in self.hyperparameters.items()
        }
        overrides.setdefault("model", {})["base_model"] = self.base_model
        overrides.setdefault("data", {})["stages"] = list(self.stages)
        overrides.setdefault("preference", {})["method"] = self.preference_method
        overrides.update(paths)
        return load_config(None, overrides)

    def train_args(
        self, release: str, output_root: str, work_dir: str, *, gpus: int | None = None
    ) -> list[str]:
        """Arguments of ``pixel_platform.training.train`` for this spec at the given paths."""
        args = [
            "--release",
            release,
            "--expected_manifest_sha256",
            self.manifest_sha256,
            "--output_root",
            output_root,
            "--work_dir",
            work_dir,
            "--run_name",
            self.spec_id,
            "--model.base_model",
            self.base_model,
            "--data.stages",
            ",".join(self.stages) if self.stages else "[]",
            "--preference.method",
            self.preference_method,
        ]
        for key, value in _flatten(self.hyperparameters):
            if key in ("model.base_model", "data.stages", "preference.method"):
                continue
            args += [f"--{key}", _flag_value(value)]
        if gpus is not None:
            args += ["--gpus", str(gpus), "--launcher", self.launcher]
        return args

    def checkpoint_run_prefix(self) -> str:
        """Where this spec's run lands in the checkpoint bucket."""
        base = self.checkpoint_volume.prefix
        return join_key(base, self.spec_id) + "/" if base else f"{self.spec_id}/"

    def ovh_job_body(self) -> dict[str, Any]:
        """The JSON body of OVH AI Training's ``POST /v1/job``.

        The trainer image's entrypoint is the training module, so ``command`` holds its arguments
        (``--gpus N`` makes it start DeepSpeed's launcher over the job's GPUs)."""
        command = self.train_args(
            self.release_volume.mount_path,
            self.checkpoint_volume.mount_path,
            WORK_DIR,
            gpus=self.resources.gpus,
        )
        return {
            "name": self.job_name,
            "image": self.image,
            "command": command,
            "resources": {"flavor": self.resources.flavor, "gpu": self.resources.gpus},
            "volumes": [_ovh_volume(self.release_volume), _ovh_volume(self.checkpoint_volume)],
            "envVars": [{"name": k, "value": v} for k, v in sorted(self.env.items())],
            "labels": self.all_labels(),
            "timeout": self.timeout_s,
            "unsecureHttp": False,
        }

    def all_labels(self) -> dict[str, str]:
        labels = {
            "pixel-release": _label(self.release_version),
            "pixel-spec": _label(self.spec_id),
            "pixel-method": _label(self.preference_method),
        }
        labels.update({_label(k): _label(v) for k, v in self.labels.items()})
        return labels


def _label(value: str) -> str:
    return LABEL_VALUE.sub("-", value.lower()).strip("-")[:63]


def _ovh_volume(volume: Volume) -> dict[str, Any]:
    return {
        "volumeSource": {
            "dataStore": {
                "alias": volume.alias,
                "container": volume.container,
                "prefix": volume.prefix,
            }
        },
        "mountPath": volume.mount_path,
        "permission": volume.permission,
        "cache": volume.cache,
    }


def _flatten(data: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key in sorted(data):
        value = data[key]
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            out += _flatten(value, name)
        else:
            out.append((name, value))
    return out


def _flag_value(value: Any) -> str:
    """A value the trainer's YAML override parser reads back as the same value."""
    if isinstance(value, str):
        return value if yaml.safe_load(value) == value else orjson.dumps(value).decode()
    return orjson.dumps(value).decode()


# -- making and storing specs ------------------------------------------------------------------
def make_spec(
    store: ObjectStore,
    release_version: str,
    *,
    data_bucket: str,
    checkpoint_bucket: str = "pixelated-checkpoints",
    checkpoint_prefix: str = "",
    datastore_alias: str = "GRA",
    config: TrainConfig | None = None,
    hyperparameters: dict[str, Any] | None = None,
    image: str = DEFAULT_IMAGE,
    flavor: str = "h100-1-gpu",
    gpus: int = 1,
    env: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
    timeout_s: int = 24 * 3600,
    releases_prefix: str = RELEASES_PREFIX,
    default_deepspeed: str | None = "zero2_bf16",
) -> TrainingJobSpec:
    """A spec for a published release: its manifest is read for the sha256 and the stages.

    ``config`` supplies the base model, stage selection, method and every setting that differs
    from the bundled defaults (those become the spec's ``hyperparameters``; the image pins the
    defaults); ``hyperparameters`` adds overrides on top. Without a DeepSpeed config in either,
    ``default_deepspeed`` (ZeRO-2 bf16 for H100) is used."""
    config = config or load_config()
    key = join_key(prefix_of(releases_prefix, release_version), MANIFEST)
    manifest = load_manifest(store, release_version, releases_prefix)
    if (manifest.get("gates") or {}).get("passed") is not True:
        raise ConfigError(f"release {release_version} did not pass its gates; no spec for it")
    manifest_sha = "sha256:" + hashlib.sha256(store.read_bytes(key)).hexdigest()
    stages = config.data.stages or _stages_with_records(
        manifest, store, releases_prefix, release_version
    )
    hp = _merge(config_overrides(config), hyperparameters or {})
    if (
        default_deepspeed
        and not config.runtime.deepspeed
        and "deepspeed" not in hp.get("runtime", {})
    ):
        hp.setdefault("runtime", {})["deepspeed"] = default_deepspeed
    return TrainingJobSpec(
        release_version=release_version,
        manifest_sha256=manifest_sha,
        base_model=config.model.base_model,
        stages=tuple(stages),
        preference_method=config.preference.method,
        release_volume=Volume(
            data_bucket,
            prefix_of(releases_prefix, release_version),
            RELEASE_MOUNT,
            "RO",
            datastore_alias,
        ),
        checkpoint_volume=Volume(
            checkpoint_bucket, checkpoint_prefix, CHECKPOINT_MOUNT, "RW", datastore_alias
        ),
        image=image,
        resources=Resources(flavor, gpus),
        hyperparameters=hp,
        env={"HF_HOME": "/workspace/work/hf", "TOKENIZERS_PARALLELISM": "false", **(env or {})},
        labels=dict(labels or {}),
        timeout_s=timeout_s,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )


PATH_KEYS = ("release", "expected_manifest_sha256", "output_root", "work_dir", "run_name")
SPEC_OWNED = {("model", "base_model"), ("data", "stages"), ("preference", "method")}


def config_overrides(config: TrainConfig) -> dict[str, Any]:
    """The sections of ``config`` that differ from the bundled defaults (paths excluded)."""
    current, default = config.as_dict(), load_config().as_dict()
    out: dict[str, Any] = {}
    for section, values in current.items():
        if section in PATH_KEYS or not isinstance(values, dict):
            continue
        changed = {
            k: v
            for k, v in values.items()
            if v != default[section].get(k) and (section, k) not in SPEC_OWNED
        }
        if changed:
            out[section] = changed
    return out


def _merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    out = {k: dict(v) if isinstance(v, dict) else v for k, v in base.items()}
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _stages_with_records(
    manifest: dict[str, Any], store: ObjectStore, releases_prefix: str, version: str
) -> list[str]:
    key = join_key(prefix_of(releases_prefix, version), STAGE_ORDER)
    doc = orjson.loads(store.read_bytes(key))
    train_pairs = TRL_PREFERENCE.format(split="train")
    has_export = any(f.get("path") == train_pairs for f in manifest.get("files") or [])
    out = []
    for item in sorted(doc.get("stages") or [], key=lambda s: int(s["order"])):
        train = int((item.get("records") or {}).get("train", 0))
        if train > 0 or (item.get("phase") == "C" and has_export):
            out.append(str(item["id"]))
    return out


def save_spec(store: ObjectStore, spec: TrainingJobSpec) -> str:
    """Store the spec at ``training/specs/<version>/<id>.yaml`` (never rewritten); its key."""
    key = spec.storage_key()
    if store.head(key) is None:
        store.write_bytes(key, spec.to_yaml().encode())
    return key


def load_spec(store: ObjectStore, key: str) -> TrainingJobSpec:
    return TrainingJobSpec.from_yaml(store.read_bytes(key).decode())
