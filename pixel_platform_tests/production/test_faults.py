"""Faults a production deployment meets, each provoked for real.

* **S3 dies mid-materialization**: a dedicated SeaweedFS is SIGKILLed while
  ``processed/addiction`` reads a 12-object partition (``dagster asset materialize``, as a
  person would run it): the run fails with an error naming the object, the endpoint and that
  retries were exhausted; nothing half-written appears. Restarted on the same data directory, a
  rerun succeeds and its records equal those of a clean run on an untouched bucket.
* **Throttling and resets**: a proxy answers every few requests with ``503 SlowDown``,
  ``500 InternalError`` or a TCP reset while the ingest + curation assets run, and while a
  multipart upload goes through the store. botocore's bounded retries absorb them: same objects,
  same ETags (MD5 of the bytes) and record counts as a run without faults, no open multipart
  upload left. A reset in the middle of a GET body is resumed by the store with a ranged GET,
  and a body that keeps breaking fails after the same bound, naming the object.
* **SIGKILL of a release build** (the ``dataset_release`` asset in a subprocess, stopped at the
  build's ``staged`` and ``publishing`` points): no release becomes visible, ``LATEST`` does not
  move, and the next build publishes and verifies.
* **A killed `pixel-platform run` never blocks the next** (the CLI on one persistent instance):
  run A is frozen (SIGSTOP) inside its release build, holding the ``pixel_release`` slot; run B
  says it waits for that pool and, on SIGTERM, stops within seconds with status 130, its own run
  canceled; A is then SIGKILLed (its run left STARTED, its slot held), and run C releases A's
  claims with a warning, builds, publishes and verifies.
* **Two release builds at once** (two processes on one bucket, interleaved with pause points):
  two builds that start together claim different versions, both publish and verify, and LATEST
  never moves backwards. (That a build's cleanup spares a live build's staging is proven on the
  core in pixel_platform_tests/release/test_ownership.py.)
* **Wrong credentials / missing bucket**: ``pixel-platform inventory`` exits non-zero with a
  message naming the variables to fix (or the bucket), and never prints a secret.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest

from pixel_platform.core.errors import StorageError, TransientStorageError
from pixel_platform.release import list_releases, read_latest
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform.storage.s3 import S3ObjectStore
from pixel_platform_tests.production.fault_proxy import FaultProxy, every_nth
from pixel_platform_tests.production.support import BIN, ROOT, base_env
from pixel_platform_tests.support import (
    S3TestServer,
    _stop,
    _wait_until_ready,
    _weed_binary,
    _weed_command,
    _weed_env,
)

pytestmark = pytest.mark.integration

FAMILY = "addiction"
PARTITION = "gdrive/raw/addiction/"
SLUG = "gdrive__raw__addiction"
PROCESSED = f"pipeline/processed/{FAMILY}/{SLUG}/conversations.jsonl"
CLI_TIMEOUT_S = 180
OBJECTS, PER_OBJECT = 8, 1500  # ~17 MB in one partition


# -- helpers ---------------------------------------------------------------------------------------
def conversation(i: int, part: int) -> dict[str, Any]:
    turns = []
    for t in range(4):
        words = " ".join(f"w{(i * 7 + t * 13 + k) % 997}" for k in range(40))
        turns.append(
            {
                "role": "user" if t % 2 == 0 else "assistant",
                "content": f"Part {part} conversation {i} turn {t}: I keep thinking {words}.",
            }
        )
    return {"messages": turns, "id": f"{part}-{i}"}


def write_partition(client: Any, bucket: str, objects: int, per_object: int) -> None:
    for part in range(objects):
        body = b"".join(orjson.dumps(conversation(i, part)) + b"\n" for i in range(per_object))
        client.put_object(Bucket=bucket, Key=f"{PARTITION}part-{part:03d}.jsonl", Body=body)


def records(data: bytes) -> list[dict[str, Any]]:
    """Output records without the one field that is the snapshot time of *this* bucket."""
    out = []
    for line in data.splitlines():
        rec = orjson.loads(line)
        rec["metadata"]["provenance"].pop("ingested_at", None)
        out.append(rec)
    return out


def secrets_absent(text: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in text, "a credential was printed"


@dataclass
class WeedServer:
    """A SeaweedFS of this test's own, killable and restartable on the same data and ports."""

    workdir: Path
    server: S3TestServer = field(init=False)
    command: list[str] = field(init=False)
    proc: subprocess.Popen[bytes] | None = None

    def __post_init__(self) -> None:
        weed = _weed_binary()
        if weed is None:
            pytest.skip("SeaweedFS 'weed' not found; run scripts/setup.sh --dev")
        self.command, port = _weed_command(weed, self.workdir)
        self.server = S3TestServer(
            endpoint_url=f"http://127.0.0.1:{port}",
            access_key="FAULTS" + uuid.uuid4().hex[:10].upper(),
            secret_key=uuid.uuid4().hex + uuid.uuid4().hex[:8],
            log_path=self.workdir / "weed.log",
        )

    def start(self) -> None:
        log = open(self.server.log_path, "ab")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            self.command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=_weed_env(self.server.access_key, self.server.secret_key, self.workdir),
            cwd=self.workdir,
        )
        log.close()
        _wait_until_ready(self.server, self.proc)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None:
            _stop(self.proc)


@pytest.fixture
def weed(tmp_path: Path) -> Iterator[WeedServer]:
    server = WeedServer(tmp_path / "weed")
    server.workdir.mkdir()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def dagster_env(home: Path, storage: dict[str, str], cache: Path) -> dict[str, str]:
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ROOT / "dagster.yaml", home / "dagster.yaml")
    return base_env(DAGSTER_HOME=str(home), PIXEL_CACHE_DIR=str(cache), **storage)


def materialize_cli(env: dict[str, str], select: str, partition: str | None = None) -> list[str]:
    command = [
        str(BIN / "dagster"),
        "asset",
        "materialize",
        "-m",
        "pixel_platform.defs.definitions",
        "--select",
        select,
    ]
    if partition:
        command += ["--partition", partition]
    # Steps in the run's own process: the default forks a subprocess per step (~10 s of imports
    # each here), which only slows the test; what fails and how is the same.
    return [*command, "--config-json", '{"execution": {"config": {"in_process": {}}}}']


def run_cli(env: dict[str, str], select: str, partition: str | None = None) -> str:
    proc = subprocess.run(
        materialize_cli(env, select, partition),
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    return proc.stdout + proc.stderr


# -- S3 killed mid-materialization -----------------------------------------------------------------
@pytest.mark.timeout(420)
def test_s3_killed_mid_materialization_fails_clearly_and_a_rerun_matches_a_clean_run(
    weed: WeedServer, tmp_path: Path
) -> None:
    client = weed.server.client()
    for bucket in ("clean", "killed"):
        client.create_bucket(Bucket=bucket)
        write_partition(client, bucket, objects=OBJECTS, per_object=PER_OBJECT)

    # A clean run for reference, on a bucket of its own (in this process: only the run that
    # S3 dies under has to be the command a person types).
    server = weed.server
    materialize_in_process(
        server.endpoint_url,
        server,
        "clean",
        tmp_path,
        family=FAMILY,
        partition=PARTITION,
        curate=False,
    )

    import dagster as dg

    env = dagster_env(tmp_path / "home-killed", server.env("killed"), tmp_path / "c2")
    # The inventory registers the partition in the instance the CLI run below uses.
    with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        materialize_in_process(
            server.endpoint_url,
            server,
            "killed",
            tmp_path,
            family=FAMILY,
            partition=None,
            instance=instance,
        )
    proc = subprocess.Popen(
        materialize_cli(env, f"raw/{FAMILY},processed/{FAMILY}", PARTITION),
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    killed = threading.Event()

    def watch() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            output.append(line)
            # The processed step reports each object it has read: kill S3 after the first.
            if not killed.is_set() and f"read {PARTITION}part-" in line:
                weed.kill()
                killed.set()

    reader = threading.Thread(target=watch, daemon=True)
    reader.start()
    try:
        rc = proc.wait(timeout=CLI_TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
    reader.join(timeout=10)
    text = "".join(output)
    print("".join(line for line in output if "could not" in line)[:3000])
    assert killed.is_set(), "the processed step never reported reading an object:\n" + text[-3000:]
    assert rc != 0, "the run succeeded although S3 died under it"
    assert 'Execution of step "processed__addiction" failed' in text, text[-4000:]
    # The error says what failed, where, and that retrying already happened.
    assert f"s3://killed/{PARTITION}part-" in text
    assert weed.server.endpoint_url in text
    assert "still failing after the client's retries" in text
    secrets_absent(text, weed.server.secret_key)

    weed.start()  # same data directory, same ports
    store = S3ObjectStore.from_settings(weed.server.settings("killed"))
    # S3 answers before every volume is loaded again: the rerun starts when the inputs read back
    # (on a loaded machine that can take seconds; the rerun's own retries are for faults).
    deadline = time.monotonic() + 60
    while True:
        try:
            for info in store.list(PARTITION):
                store.read_bytes(info.key)
            break
        except (TransientStorageError, StorageError):
            assert time.monotonic() < deadline, "SeaweedFS never served the inputs again"
            time.sleep(0.5)
    assert store.head(PROCESSED) is None, "a half-written output became visible"
    run_cli(env, f"raw/{FAMILY},processed/{FAMILY}", PARTITION)

    clean = S3ObjectStore.from_settings(weed.server.settings("clean"))
    ours, reference = store.read_bytes(PROCESSED), clean.read_bytes(PROCESSED)
    assert len(ours.splitlines()) == OBJECTS * PER_OBJECT
    assert records(ours) == records(reference)
    stats = [
        orjson.loads(s.read_bytes(PROCESSED.replace("conversations.jsonl", "stats.json")))
        for s in (store, clean)
    ]
    for key in ("units_in", "records_out", "quarantined"):
        assert stats[0][key] == stats[1][key]


# -- throttling and resets through a proxy ---------------------------------------------------------
def materialize_in_process(
    endpoint: str,
    server: Any,
    bucket: str,
    tmp: Path,
    *,
    family: str = "cptsd",
    partition: str | None = "gdrive/raw/cptsd/",
    curate: bool = True,
    instance: Any = None,
) -> None:
    """Inventory, then raw + processed (+ curated) of one partition (none: the inventory
    only), in this process."""
    import dagster as dg

    from pixel_platform.defs.curation.assets import build_curated_asset
    from pixel_platform.defs.curation.resources import CurationConfigResource
    from pixel_platform.defs.ingest.assets import build_family_assets, source_inventory
    from pixel_platform.defs.resources import RegistryResource, StorageResource
    from pixel_platform.registry.model import load_registry

    registry = load_registry()
    storage = StorageResource(
        backend="s3",
        bucket=bucket,
        region=server.region,
        endpoint_url=endpoint,
        access_key_id=server.access_key,
        secret_access_key=server.secret_key,
        cache_dir=str(tmp / f"cache-{bucket}"),
    )
    resources = {
        "storage": storage,
        "registry": RegistryResource(),
        "curation": CurationConfigResource(),
    }
    spec = registry.family(family)
    assets = build_family_assets(spec) + ([build_curated_asset(spec)] if curate else [])
    with contextlib.ExitStack() as stack:
        if instance is None:
            instance = stack.enter_context(dg.instance_for_test())
        assert dg.materialize([source_inventory], instance=instance, resources=resources).success
        if partition is not None:
            result = dg.materialize(
                assets, instance=instance, resources=resources, partition_key=partition
            )
            assert result.success


def _line_digests(data: bytes) -> Counter[str]:
    """Each line's identity: its content hash (records) or the line itself (quarantine)."""
    out: Counter[str] = Counter()
    for line in data.splitlines():
        value = orjson.loads(line)
        digest = (value.get("metadata") or {}).get("content_hash")
        out[digest or hashlib.sha256(line).hexdigest()] += 1
    return out


def _objects(client: Any, bucket: str) -> dict[str, dict[str, Any]]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return {o["Key"]: o for page in pages for o in page.get("Contents", ())}


@pytest.mark.timeout(300)
def test_throttling_and_resets_are_retried_without_duplicates(
    s3_server: Any, s3_client: Any, tmp_path: Path
) -> None:
    from pixel_platform.cli.common import SAMPLE_BUCKET

    buckets = {
        "direct": f"px-direct-{uuid.uuid4().hex[:8]}",
        "faulty": f"px-faulty-{uuid.uuid4().hex[:8]}",
    }
    for bucket in buckets.values():
        s3_client.create_bucket(Bucket=bucket)
        for path in sorted((SAMPLE_BUCKET / "gdrive/raw/cptsd").iterdir()):
            s3_client.upload_file(str(path), bucket, f"gdrive/raw/cptsd/{path.name}")

    materialize_in_process(s3_server.endpoint_url, s3_server, buckets["direct"], tmp_path)
    upstream = s3_server.endpoint_url.removeprefix("http://")
    proxy = FaultProxy(upstream, every_nth(3, ("slowdown", "reset", "internal"), limit=12))
    proxy.start()
    try:
        materialize_in_process(proxy.endpoint, s3_server, buckets["faulty"], tmp_path)
    finally:
        proxy.stop()
    faults = proxy.faults()
    assert faults == {"slowdown": 4, "reset": 4, "internal": 4}, proxy.faults()

    direct, faulty = (_objects(s3_client, b) for b in buckets.values())
    assert sorted(direct) == sorted(faulty), "the faulty run wrote different objects"
    for key, info in faulty.items():
        body = s3_client.get_object(Bucket=buckets["faulty"], Key=key)["Body"].read()
        assert info["ETag"].strip('"') == hashlib.md5(body).hexdigest(), key
        if key.endswith(".jsonl") and key.startswith("pipeline/"):
            # The same records as without faults: nothing written twice, nothing lost.
            other = s3_client.get_object(Bucket=buckets["direct"], Key=key)["Body"].read()
            assert _line_digests(body) == _line_digests(other), key
    uploads = s3_client.list_multipart_uploads(Bucket=buckets["faulty"]).get("Uploads", [])
    assert not uploads


@pytest.mark.timeout(180)
def test_multipart_upload_survives_faults_on_its_parts(
    s3_server: Any, s3_bucket: str, s3_client: Any, tmp_path: Path
) -> None:
    from pixel_platform.storage.s3 import build_s3_client

    upstream = s3_server.endpoint_url.removeprefix("http://")
    # Every 2nd PUT/POST (CreateMultipartUpload, UploadPart, CompleteMultipartUpload): a fault.
    plan = every_nth(2, ("slowdown", "reset", "internal"), limit=3, methods=("PUT", "POST"))
    proxy = FaultProxy(upstream, plan).start()
    try:
        client = build_s3_client(
            s3_server.settings(s3_bucket, endpoint_url=proxy.endpoint, max_attempts=5)
        )
        mib = 1024 * 1024
        store = S3ObjectStore(
            client, s3_bucket, multipart_threshold_bytes=5 * mib, multipart_chunk_bytes=5 * mib
        )
        data = os.urandom(12 * mib)
        src = tmp_path / "big.bin"
        src.write_bytes(data)
        info = store.upload_file(src, "exports/big.bin")
    finally:
        proxy.stop()
    assert sum(proxy.faults().values()) == 3
    assert info.etag.endswith("-3"), info.etag  # three parts, one object
    assert s3_client.get_object(Bucket=s3_bucket, Key="exports/big.bin")["Body"].read() == data
    assert list(_objects(s3_client, s3_bucket)) == ["exports/big.bin"]
    assert not s3_client.list_multipart_uploads(Bucket=s3_bucket).get("Uploads")


@pytest.mark.timeout(120)
@pytest.mark.parametrize("cached", [True, False], ids=["through-the-cache", "streamed"])
def test_a_reset_in_the_middle_of_a_download_is_resumed(
    s3_server: Any, s3_bucket: str, s3_client: Any, tmp_path: Path, cached: bool
) -> None:
    """botocore retries requests, not body reads: the store resumes a broken body itself, with
    a ranged GET pinned to the same version, and ends with exactly the object's bytes."""
    from pixel_platform.storage.s3 import build_s3_client

    payload = os.urandom(3 * 1024 * 1024)
    s3_client.put_object(Bucket=s3_bucket, Key="gdrive/raw/x/big.bin", Body=payload)
    upstream = s3_server.endpoint_url.removeprefix("http://")
    plan = every_nth(1, ("reset_body",), limit=2, methods=("GET",))
    proxy = FaultProxy(upstream, plan).start()
    try:
        client = build_s3_client(s3_server.settings(s3_bucket, endpoint_url=proxy.endpoint))
        store = S3ObjectStore(client, s3_bucket, cache_dir=tmp_path / "cache" if cached else None)
        assert store.read_bytes("gdrive/raw/x/big.bin") == payload
    finally:
        proxy.stop()
    gets = [fate for _, method, _, fate in proxy.log if method == "GET"]
    assert gets == ["reset_body", "reset_body", "pass"], proxy.log


@pytest.mark.timeout(120)
def test_a_body_that_keeps_breaking_fails_after_bounded_retries(
    s3_server: Any, s3_bucket: str, s3_client: Any, tmp_path: Path
) -> None:
    from pixel_platform.storage.s3 import build_s3_client

    s3_client.put_object(Bucket=s3_bucket, Key="gdrive/raw/x/big.bin", Body=os.urandom(2**20))
    upstream = s3_server.endpoint_url.removeprefix("http://")
    plan = every_nth(1, ("reset_body",), limit=100, methods=("GET",))
    proxy = FaultProxy(upstream, plan).start()
    try:
        settings = s3_server.settings(s3_bucket, endpoint_url=proxy.endpoint, max_attempts=3)
        store = S3ObjectStore(build_s3_client(settings), s3_bucket, body_attempts=3)
        with pytest.raises(TransientStorageError) as caught:
            store.read_bytes("gdrive/raw/x/big.bin")
    finally:
        proxy.stop()
    message = str(caught.value)
    assert f"s3://{s3_bucket}/gdrive/raw/x/big.bin" in message
    assert "still failing after the client's retries" in message
    assert s3_server.secret_key not in message
    assert [fate for _, method, _, fate in proxy.log if method == "GET"] == ["reset_body"] * 3


# -- release builds: SIGKILL and two at once -------------------------------------------------------
@pytest.fixture(scope="module")
def pipeline_bucket(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled sample through ``pixel-platform run`` once: dedup done, one release built."""
    work = tmp_path_factory.mktemp("release-faults")
    env = base_env(DAGSTER_HOME=str(work / "home"), PIXEL_CACHE_DIR=str(work / "cache"))
    proc = subprocess.run(
        [str(BIN / "pixel-platform"), "run", "--no-train", "--storage-root", str(work / "bucket")],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return work / "bucket"


@pytest.fixture
def bucket(pipeline_bucket: Path, tmp_path: Path) -> LocalObjectStore:
    """A copy of the pipeline's bucket without its release, so each test starts from dedup."""
    root = tmp_path / "bucket"
    shutil.copytree(
        pipeline_bucket, root, ignore=shutil.ignore_patterns("exports", "final_dataset")
    )
    return LocalObjectStore(root)


BUILD_SCRIPT = textwrap.dedent(
    """
    # The dataset_release asset, as a run would execute it, with pause points in the build:
    # at each named stage it writes <marker>.<stage> and waits for <go>.<stage>. The stages are
    # ReleaseOptions.hook's: chosen (version claimed, nothing staged), staged, gated,
    # publishing (files copied, manifest not yet), published.
    import sys, time
    from pathlib import Path
    import dagster as dg
    import pixel_platform.pipeline.release as pipeline_release

    pauses, marker, go = sys.argv[1].split(","), sys.argv[2], sys.argv[3]

    def hook(stage):
        if stage in pauses:
            Path(f"{marker}.{stage}").write_text(stage)
            deadline = time.monotonic() + 300
            while not Path(f"{go}.{stage}").exists() and time.monotonic() < deadline:
                time.sleep(0.05)

    original = pipeline_release.release_options
    pipeline_release.release_options = lambda config, **kw: original(config, hook=hook, **kw)
    from pixel_platform.defs.release.assets import dataset_release
    from pixel_platform.defs.resources import get_resources

    with dg.instance_for_test() as instance:
        result = dg.materialize([dataset_release], resources=get_resources(), instance=instance,
                                raise_on_error=False)
    if not result.success:
        for event in result.all_events:
            if event.event_type_value == "STEP_FAILURE":
                print("BUILD FAILED:", event.step_failure_data.error.message, file=sys.stderr)
        sys.exit(1)
    version = [e for e in result.get_asset_materialization_events()][0]
    print("VERSION", version.materialization.metadata["version"].value)
    """
)


@dataclass
class Build:
    proc: subprocess.Popen[str]
    marker: str
    go: str

    def wait_paused(self, stage: str, timeout_s: float = 120) -> None:
        deadline = time.monotonic() + timeout_s
        while not Path(f"{self.marker}.{stage}").exists():
            if self.proc.poll() is not None:
                _, err = self.proc.communicate()
                raise AssertionError(f"the build exited early ({self.proc.returncode}): {err}")
            assert time.monotonic() < deadline, f"the build never reached {stage!r}"
            time.sleep(0.05)

    def resume(self, stage: str) -> None:
        Path(f"{self.go}.{stage}").write_text("go")

    def finish(self, timeout_s: float = 180) -> tuple[int, str, str]:
        out, err = self.proc.communicate(timeout=timeout_s)
        return self.proc.returncode, out, err


def start_build(store: LocalObjectStore, tmp: Path, name: str, *pauses: str) -> Build:
    env = base_env(
        DATASET_STORAGE_BACKEND="local",
        DATASET_STORAGE_LOCAL_PATH=str(store.root),
        PIXEL_CACHE_DIR=str(tmp / "cache"),
    )
    marker, go = str(tmp / f"{name}.paused"), str(tmp / f"{name}.go")
    proc = subprocess.Popen(
        [sys.executable, "-c", BUILD_SCRIPT, ",".join(pauses) or "-", marker, go],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return Build(proc, marker, go)


def verify(release_dir: Path) -> list[str]:
    """``pixel-platform verify`` on a published release, in this process (the gate libraries
    stay imported between calls): the names of the gates that fail."""
    from pixel_platform.registry.model import load_registry
    from pixel_platform.release.curriculum import load_curriculum
    from pixel_platform.release.gates import run_gates_on
    from pixel_platform.release.options import GateContext
    from pixel_platform.release.view import ReleaseView

    view = ReleaseView(LocalObjectStore(release_dir), "")
    assert view.manifest is not None, f"{release_dir} has no manifest"
    ctx = GateContext.from_manifest(load_registry(), view.manifest, load_curriculum(None))
    return [result.name for result in run_gates_on(view, ctx) if not result.passed]


def failed_lines(err: str) -> str:
    return "\n".join(line for line in err.splitlines() if "Error" in line)[-1500:]


@pytest.mark.timeout(300)
def test_sigkill_of_a_release_build_leaves_no_release(
    bucket: LocalObjectStore, tmp_path: Path
) -> None:
    """Killed while publishing (every file copied into the version folder, manifest not yet):
    the worst moment. A kill at every other stage is covered on the core by
    pixel_platform_tests/release/test_atomic.py; this one goes through the Dagster asset."""
    pause_at = "publishing"
    build = start_build(bucket, tmp_path, "killed", pause_at)
    try:
        build.wait_paused(pause_at)
        os.kill(build.proc.pid, signal.SIGKILL)
        build.proc.wait(timeout=30)
    finally:
        if build.proc.poll() is None:
            build.proc.kill()
    assert list(bucket.list("exports/staging/")), "the killed build had staged its files"
    assert list(bucket.list("exports/releases/")), "its files were in the version folder"
    assert list(bucket.list("exports/builds/")), "its build marker was left behind"
    assert list_releases(bucket) == []
    assert read_latest(bucket) is None
    assert not list(bucket.list("final_dataset/"))

    rc, out, err = start_build(bucket, tmp_path, "next").finish()
    assert rc == 0, err[-3000:]
    (version,) = list_releases(bucket)
    assert f"VERSION {version}" in out and read_latest(bucket) == version
    assert not list(bucket.list("exports/staging/")), "the next build removed the leftovers"
    assert verify(bucket.root / "exports/releases" / version) == []


class CliRun:
    """``pixel-platform run --no-train --no-sample`` on a bucket and an instance of its own."""

    def __init__(self, bucket: Path, home: Path, tmp: Path) -> None:
        env = base_env(DAGSTER_HOME=str(home), PIXEL_CACHE_DIR=str(tmp / "cache"),
                       PIXEL_STOP_GRACE_S="3")  # fmt: skip
        self.proc = subprocess.Popen(
            [str(BIN / "pixel-platform"), "run", "--no-train", "--no-sample",
             "--storage-root", str(bucket)],
            env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.err: list[str] = []
        self.out: list[str] = []
        for stream, lines in ((self.proc.stderr, self.err), (self.proc.stdout, self.out)):
            threading.Thread(target=lambda s=stream, ls=lines: ls.extend(s), daemon=True).start()

    def wait_for(self, what: Any, timeout_s: float = 240) -> None:
        deadline = time.monotonic() + timeout_s
        while not what():
            assert self.proc.poll() is None, f"exited early ({self.proc.returncode}): {self.tail()}"
            assert time.monotonic() < deadline, f"timed out; {self.tail()}"
            time.sleep(0.05)

    def tail(self) -> str:
        return "".join(line for line in self.err if " INFO " not in line)[-3000:]


@pytest.mark.timeout(600)
def test_a_killed_cli_run_never_blocks_the_next(pipeline_bucket: Path, tmp_path: Path) -> None:
    import dagster as dg
    from dagster._core.instance.ref import InstanceRef

    from pixel_platform.defs.stale_runs import slot_holders

    root = tmp_path / "bucket"
    shutil.copytree(
        pipeline_bucket, root, ignore=shutil.ignore_patterns("exports", "final_dataset")
    )
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(ROOT / "dagster.yaml", home / "dagster.yaml")

    def instance() -> dg.DagsterInstance:
        return dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))

    def read(query: Any) -> Any:
        """``query(instance())``, retried while SQLite is busy: A is SIGSTOPped at an arbitrary
        moment, possibly inside a WAL transaction, and a reader may then see ``database is
        locked`` or ``locking protocol`` until A runs (or dies) again. Only this test's own
        observations retry; the CLI runs under test get no such help."""
        from sqlalchemy.exc import OperationalError

        deadline = time.monotonic() + 60
        while True:
            try:
                with instance() as current:
                    return query(current)
            except OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    a = CliRun(root, home, tmp_path)
    try:
        a.wait_for(lambda: bool(read(lambda i: slot_holders(i, "pixel_release"))))
        a.proc.send_signal(signal.SIGSTOP)  # alive, holding the slot: a build in progress
        [a_run] = read(lambda i: slot_holders(i, "pixel_release"))
        b = CliRun(root, home, tmp_path)
        b.wait_for(lambda: any("waiting for pool pixel_release" in line for line in b.err))

        def b_release_run() -> str | None:  # B's release run, started and waiting for the slot
            started = read(lambda i: i.get_run_records(
                filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])
            ))  # fmt: skip
            return next((r.dagster_run.run_id for r in started if r.dagster_run.run_id != a_run),
                        None)  # fmt: skip

        b.wait_for(lambda: b_release_run() is not None)
        b_run = b_release_run()
        time.sleep(1.0)  # well inside the executor's wait for the slot
        b.proc.send_signal(signal.SIGTERM)
        sent = time.monotonic()
        assert b.proc.wait(timeout=60) == 130, b.tail()
        assert time.monotonic() - sent < 20, "SIGTERM took too long"
        run = read(lambda i: i.get_run_by_id(str(b_run)))
        assert run is not None and run.status == dg.DagsterRunStatus.CANCELED
        assert read(lambda i: slot_holders(i, "pixel_release")) == [a_run]  # A's, still alive
    finally:
        a.proc.send_signal(signal.SIGKILL)
        a.proc.send_signal(signal.SIGCONT)
        a.proc.wait(timeout=30)
    assert read(lambda i: slot_holders(i, "pixel_release")) == [a_run]  # left behind by the kill
    run = read(lambda i: i.get_run_by_id(a_run))
    assert run is not None and run.status == dg.DagsterRunStatus.STARTED

    c = CliRun(root, home, tmp_path)
    assert c.proc.wait(timeout=400) == 0, c.tail()
    time.sleep(0.2)  # the reader threads drain the pipes
    assert any(a_run in line and "process gone" in line for line in c.err), c.tail()
    run = read(lambda i: i.get_run_by_id(a_run))
    assert run is not None and run.status == dg.DagsterRunStatus.FAILURE
    (version,) = list_releases(LocalObjectStore(root))
    assert verify(root / "exports/releases" / version) == []


def edit_one_record(root: Path) -> None:
    path = sorted((root / "pipeline/deduplicated").rglob("conversations.jsonl"))[0]
    lines = path.read_bytes().splitlines()
    record = orjson.loads(lines[0])
    record["messages"][-1]["content"] += " Take care."
    lines[0] = orjson.dumps(record)
    path.write_bytes(b"\n".join(lines) + b"\n")


def _check_no_clobbering(bucket: LocalObjectStore, outcome: dict[str, Any]) -> None:
    """Every published version verifies; each build published its own version or failed."""
    versions = list_releases(bucket)
    print(f"concurrent builds: {outcome}; published: {versions}")
    for version in versions:
        failures = verify(bucket.root / "exports/releases" / version)
        assert not failures, f"{version} does not verify: {failures}; {outcome}"
    succeeded = [name for name, (rc, _, _) in outcome.items() if rc == 0]
    reported = {out.split()[-1] for rc, out, _ in outcome.values() if rc == 0}
    assert len(reported) == len(succeeded), f"two builds reported the same version: {outcome}"
    assert len(versions) == len(succeeded), (versions, outcome)
    assert read_latest(bucket) in versions


def _keys(store: LocalObjectStore, prefix: str) -> list[str]:
    return [info.key for info in store.list(prefix)]


@pytest.mark.timeout(300)
def test_two_release_builds_started_together_do_not_clobber(
    bucket: LocalObjectStore, tmp_path: Path
) -> None:
    """A claims its version and pauses; B starts meanwhile and must claim another. A stages,
    gates, copies its files and pauses before its manifest; one input record changes; B builds
    and publishes; A writes its manifest. Each build publishes its own version, both verify
    (no manifest over another build's files), and LATEST is the later version."""
    a = start_build(bucket, tmp_path, "a", "chosen", "publishing")
    a.wait_paused("chosen")
    b = start_build(bucket, tmp_path, "b", "chosen")
    b.wait_paused("chosen")
    a.resume("chosen")
    a.wait_paused("publishing")
    # Between the two builds' reads, a partition changes (new data curated meanwhile).
    edit_one_record(bucket.root)
    b.resume("chosen")
    b_result = b.finish()
    a.resume("publishing")
    outcome = {"a": a.finish(), "b": b_result}
    summary = {k: (rc, out, failed_lines(err)) for k, (rc, out, err) in outcome.items()}
    assert all(rc == 0 for rc, _, _ in summary.values()), summary
    _check_no_clobbering(bucket, summary)
    a_version, b_version = (outcome[k][1].split()[-1] for k in ("a", "b"))
    assert a_version != b_version
    assert sorted(list_releases(bucket)) == sorted([a_version, b_version])
    # B's version is the later one (A claimed first); A finished last but LATEST does not go back.
    assert read_latest(bucket) == b_version


# -- credentials and bucket ------------------------------------------------------------------------
def _inventory(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "pixel-platform"), "inventory"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.timeout(150)
def test_wrong_credentials_give_a_clear_error_without_the_secret(
    s3_server: Any, s3_bucket: str, tmp_path: Path
) -> None:
    wrong = "WRONG" + uuid.uuid4().hex
    env = base_env(
        **{**s3_server.env(s3_bucket), "OVH_S3_SECRET_KEY": wrong},
        PIXEL_CACHE_DIR=str(tmp_path / "cache"),
    )
    proc = _inventory(env)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "rejected the credentials" in proc.stderr, text[-2000:]
    assert "OVH_S3_ACCESS_KEY / OVH_S3_SECRET_KEY" in proc.stderr
    assert "Traceback" not in text
    secrets_absent(text, wrong, s3_server.secret_key)


@pytest.mark.timeout(150)
def test_a_missing_bucket_is_named_in_the_error(s3_server: Any, tmp_path: Path) -> None:
    missing = f"pixel-missing-{uuid.uuid4().hex[:8]}"
    env = base_env(**s3_server.env(missing), PIXEL_CACHE_DIR=str(tmp_path / "cache"))
    proc = _inventory(env)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert f"bucket '{missing}' does not exist" in proc.stderr, text[-2000:]
    assert "OVH_S3_BUCKET" in proc.stderr and "Traceback" not in text
    secrets_absent(text, s3_server.secret_key)
