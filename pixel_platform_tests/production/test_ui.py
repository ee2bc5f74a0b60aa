"""The Dagster UI, used the way a person uses it: headless Debian Chromium driven by Playwright.

A webserver and a daemon run on the embedded instance (the checkout's dagster.yaml, SQLite, no
``PIXEL_ENV``: local development) over a local bucket seeded with the bundled sample. In the
browser:

* a family partition, the way a person materializes one:

  1. opens the asset lineage: one group per layer (``raw``, ``processed``, ``curated``, …)
     (screenshot ``01_asset_graph.png``);
  2. clicks **Materialize** on ``source_inventory`` and waits for it, so partitions exist;
  3. opens ``ingest_cptsd_job``, clicks **Materialize all…**, picks the partition
     ``gdrive/raw/cptsd/`` in the dialog and clicks **Launch 1 run**, follows the toast's
     **View** link to the run and waits for it to succeed (``02_run_success.png``, and the
     partition's upstream lineage, each ``cptsd`` node in the box of its layer, no "S3" badge,
     in ``03_cptsd_lineage.png``);
  4. opens ``dataset_release``'s checks and sees all eleven ``dataset_release_<gate>`` checks
     (``04_release_checks.png``);

* ``raw/cptsd``'s page names its layer and family: group, tags, the description's opening
  (``05_raw_cptsd.png``);
* every release gate check and every ``model_evaluation`` check shows a description written
  for users: the one the code defines, no backticks, no code names, never "No description
  provided" (``06_evaluation_checks.png``);
* **Execute** on ``dataset_release_hash`` runs one step whose key is the check's name, not the
  asset's name twice, and its failed result says why (``07_check_run.png``,
  ``08_check_result.png``);
* the Automation page shows ``nightly_release_schedule`` and ``gdrive_sync_sensor`` switched
  off and ``stale_run_sensor`` on (``09_automation.png``).

Screenshots go to pixel_platform_tests/production/artifacts/ (gitignored). Skipped, with the
reason printed, where Chromium or the playwright package is missing. Playwright drives the system
browser; it never downloads one (no ``playwright install``).
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pixel_platform.cli.common import seed_sample
from pixel_platform.defs.release.assets import BIAS_QA_CHECK, BIAS_QA_DESCRIPTION
from pixel_platform.defs.release.descriptions import gate_description
from pixel_platform.defs.training.checks import metric_description
from pixel_platform.release import GATES
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform.training.evaluate import TARGETS
from pixel_platform_tests.production.support import (
    ARTIFACTS,
    ROOT,
    GraphQL,
    base_env,
    dagster_services,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(360)]

CHROMIUM = Path("/usr/bin/chromium")
# The flags that make headless Debian Chromium quiet on a machine with a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PARTITION = "gdrive/raw/cptsd/"
LAYERS = ("raw", "processed", "curated")
# What a description written for users never shows: markdown code marks, names of code internals.
NOT_FOR_USERS = ("`", "ctx.", "pii_memo", "scan_texts", "No description provided")
# Generous: on a loaded 2-core CI box the dialogs wait for the code server's partition lists.
UI_TIMEOUT_MS = 90_000


def _skip(reason: str) -> None:
    print(f"SKIP: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, GraphQL]]:
    if not CHROMIUM.exists():
        _skip(f"{CHROMIUM} not found; scripts/setup.sh --dev installs Debian's chromium")
    pytest.importorskip("playwright", reason="the playwright package is a dev dependency")
    work = tmp_path_factory.mktemp("ui")
    home = work / "dagster_home"
    home.mkdir()
    shutil.copyfile(ROOT / "dagster.yaml", home / "dagster.yaml")
    bucket = work / "bucket"
    assert seed_sample(LocalObjectStore(bucket)) > 0
    env = base_env(
        DAGSTER_HOME=str(home),
        DATASET_STORAGE_BACKEND="local",
        DATASET_STORAGE_LOCAL_PATH=str(bucket),
        PIXEL_CACHE_DIR=str(work / "cache"),
    )
    with dagster_services(env, work) as services:
        yield services.url, services.gql


@pytest.fixture
def page(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),  # a fresh --user-data-dir
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1600, "height": 1000},
        )
        context.set_default_timeout(UI_TIMEOUT_MS)
        page = context.pages[0] if context.pages else context.new_page()
        try:
            yield page
        finally:
            report = getattr(request.node, "rep_call", None)
            if report is not None and report.failed:  # what the browser showed when it failed
                path = _shot(page, f"failed_{request.node.name}.png")
                print(f"failure screenshot: {path}")
            context.close()


def _shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path))
    return path


def _latest_materialization(gql: GraphQL, path: list[str], partition: str | None = None) -> Any:
    data = gql(
        """
        query Asset($key: AssetKeyInput!, $partitions: [String!]) {
          assetOrError(assetKey: $key) {
            ... on Asset { assetMaterializations(limit: 1, partitions: $partitions) {
              runId partition } }
          }
        }
        """,
        key={"path": path},
        partitions=[partition] if partition else None,
    )
    events = data["assetOrError"].get("assetMaterializations") or []
    return events[0] if events else None


def _run_status(gql: GraphQL, run_id: str) -> str | None:
    runs = gql.runs(runIds=[run_id])
    return runs[0]["status"] if runs else None


def _view_launched_run_until_done(
    page: Any, gql: GraphQL, what: str, timeout_s: float
) -> tuple[str, str]:
    """Open the just-launched run from its toast; wait for it to end: (run id, status)."""
    page.get_by_role("button", name="View").or_(page.get_by_role("link", name="View")).first.click()
    page.wait_for_url("**/runs/**")
    run_id = page.url.rstrip("/").split("/runs/")[1].split("?")[0]
    status = wait_for(
        f"{what} {run_id} to finish",
        lambda: (
            s if (s := _run_status(gql, run_id)) in ("SUCCESS", "FAILURE", "CANCELED") else None
        ),
        timeout_s=timeout_s,
        interval_s=2.0,
    )
    return run_id, status


def test_materialize_a_family_partition_from_the_ui(
    ui_server: tuple[str, GraphQL], page: Any
) -> None:
    base, gql = ui_server

    # 1. The asset graph.
    page.goto(f"{base}/asset-groups", wait_until="networkidle")
    page.get_by_text("Global asset lineage").wait_for()
    for group in (*LAYERS, "derived", "release", "training"):
        page.get_by_text(group, exact=True).first.wait_for()
    for old_group in ("ingest", "curation"):
        assert page.get_by_text(old_group, exact=True).count() == 0, old_group
    time.sleep(1.0)  # let the graph layout settle before the picture
    _shot(page, "01_asset_graph.png")

    # 2. The inventory registers the family partitions: one click on its page.
    page.goto(f"{base}/assets/source_inventory", wait_until="networkidle")
    # The button's accessible name includes its icon's ("materialization Materialize").
    page.locator("button").filter(has_text=re.compile(r"^Materialize$")).click()
    page.get_by_text("Launched run").wait_for()
    wait_for(
        "source_inventory to be materialized",
        lambda: _latest_materialization(gql, ["source_inventory"]),
        timeout_s=120,
        interval_s=1.0,
    )

    # 3. One partition of cptsd (raw -> processed -> curated) from the job's page.
    page.goto(f"{base}/locations/pixel_platform/jobs/ingest_cptsd_job", wait_until="networkidle")
    page.get_by_role("button", name="Materialize all").first.click()
    dialog = page.get_by_role("dialog")
    launchpad = dialog.get_by_text("Launch runs to materialize 3 assets")
    # cptsd's raw asset also depends on the derived cptsd_transcripts_source, never materialized
    # here: the UI first asks "Are you sure?" about that upstream; a person confirms.
    confirm = dialog.get_by_role("button", name="Confirm")
    launchpad.or_(confirm).first.wait_for()
    if confirm.is_visible():
        confirm.click()
    launchpad.wait_for()
    dialog.get_by_text("Select a partition or create one").click()
    page.get_by_role("menuitem").filter(has_text=PARTITION).click()
    dialog.get_by_text("Launch runs to materialize").click()  # close the partition menu
    dialog.get_by_role("button", name="Launch 1 run").click()
    toast = page.get_by_text("Launched run")
    toast.wait_for()
    run_id, status = _view_launched_run_until_done(page, gql, "UI-launched run", timeout_s=240)
    assert status == "SUCCESS", f"the run launched from the UI ended {status}"
    page.reload(wait_until="networkidle")
    page.get_by_text("Success").first.wait_for()
    _shot(page, "02_run_success.png")
    for layer in ("raw", "processed", "curated"):
        event = _latest_materialization(gql, [layer, "cptsd"], PARTITION)
        assert event and event["runId"] == run_id, (layer, event)

    page.goto(
        f"{base}/assets/curated/cptsd?view=lineage&lineageScope=upstream", wait_until="networkidle"
    )
    page.get_by_role("button", name="All", exact=True).click()
    page.get_by_text("100% filled").first.wait_for()
    time.sleep(2.5)  # the graph animates to its new layout
    # Every node reads "cptsd"; the box around it names the layer. No badge claims S3.
    for layer in LAYERS:
        page.get_by_text(layer, exact=True).first.wait_for()
    assert page.get_by_text("S3", exact=True).count() == 0
    _shot(page, "03_cptsd_lineage.png")

    # 4. The release asset lists its eleven blocking gate checks and the Bias/QA warnings.
    page.goto(f"{base}/assets/dataset_release?view=checks", wait_until="networkidle")
    page.get_by_text(f"Checks ({len(GATES) + 1})").wait_for()
    page.get_by_text("dataset_release_bias_qa", exact=True).first.wait_for()
    for gate in GATES:
        page.get_by_text(f"dataset_release_{gate}", exact=True).first.wait_for()
    _shot(page, "04_release_checks.png")
    assert len(GATES) == 11


def test_an_asset_page_names_the_layer_and_the_family(
    ui_server: tuple[str, GraphQL], page: Any
) -> None:
    base, _ = ui_server
    page.goto(f"{base}/assets/raw/cptsd", wait_until="networkidle")
    page.get_by_text("Raw cptsd: the family's source files", exact=False).wait_for()
    for tag in ("layer: raw", "family: cptsd"):
        page.get_by_text(tag, exact=True).wait_for()
    page.get_by_text("raw", exact=True).first.wait_for()  # the group
    page.get_by_text("File", exact=True).first.wait_for()  # the kind: source files, no storage
    assert page.get_by_text("S3", exact=True).count() == 0
    _shot(page, "05_raw_cptsd.png")


def _check_descriptions(page: Any, base: str, asset: str, expected: dict[str, str]) -> None:
    """Open each check of ``asset`` and read its About section: ``expected[check]``, as written
    for users."""
    page.goto(f"{base}/assets/{asset}?view=checks", wait_until="networkidle")
    page.get_by_text(f"Checks ({len(expected)})").wait_for()
    for check, description in expected.items():
        page.goto(
            f"{base}/assets/{asset}?view=checks&checkDetail={check}", wait_until="networkidle"
        )
        page.get_by_text(description, exact=True).wait_for()
        shown = page.inner_text("body")
        found = [w for w in NOT_FOR_USERS if w in shown]
        assert not found, f"{asset} / {check} shows {found}"


def test_checks_are_described_for_users(ui_server: tuple[str, GraphQL], page: Any) -> None:
    base, _ = ui_server
    gates = {f"dataset_release_{gate}": gate_description(gate) for gate in GATES}
    gates[BIAS_QA_CHECK] = BIAS_QA_DESCRIPTION  # the non-blocking Bias/QA warnings
    _check_descriptions(page, base, "dataset_release", gates)
    metrics = {f"model_evaluation_{m}": metric_description(m) for m in TARGETS}
    _check_descriptions(page, base, "model_evaluation", metrics)
    _shot(page, "06_evaluation_checks.png")


def test_a_gate_check_runs_as_one_step_named_like_the_check(
    ui_server: tuple[str, GraphQL], page: Any
) -> None:
    base, gql = ui_server
    page.goto(f"{base}/assets/dataset_release?view=checks", wait_until="networkidle")
    page.get_by_text("dataset_release_hash", exact=True).first.click()
    page.wait_for_url("**checkDetail=dataset_release_hash**")
    page.locator("button").filter(has_text=re.compile(r"^Execute$")).click()
    page.get_by_text("Launched run").wait_for()
    run_id, status = _view_launched_run_until_done(page, gql, "check run", timeout_s=180)
    # No release was built in this instance: the check fails, and says so.
    assert status == "FAILURE", status
    steps = gql(
        "query Steps($id: ID!) { runOrError(runId: $id) { ... on Run { stepStats { stepKey } } } }",
        id=run_id,
    )["runOrError"]["stepStats"]
    assert [s["stepKey"] for s in steps] == ["dataset_release_hash"]
    page.reload(wait_until="networkidle")
    page.get_by_text("Errored (1)").wait_for()
    page.get_by_text("dataset_release_hash", exact=True).first.wait_for()
    assert page.get_by_text("dataset_release_dataset_release", exact=False).count() == 0
    _shot(page, "07_check_run.png")

    page.goto(
        f"{base}/assets/dataset_release?view=checks&checkDetail=dataset_release_hash",
        wait_until="networkidle",
    )
    page.get_by_text("No release has been built yet: materialize dataset_release first.").wait_for()
    _shot(page, "08_check_result.png")


AUTOMATION_QUERY = """
query Automation($repo: RepositorySelector!) {
  repositoryOrError(repositorySelector: $repo) {
    ... on Repository {
      schedules { name scheduleState { status } }
      sensors { name sensorState { status } }
    }
  }
}
"""


def test_schedule_and_sync_sensor_are_off_in_local_development(
    ui_server: tuple[str, GraphQL], page: Any
) -> None:
    base, gql = ui_server
    expected = {
        "schedules/nightly_release_schedule": False,
        "sensors/gdrive_sync_sensor": False,
        "sensors/stale_run_sensor": True,  # housekeeping: frees the slots of killed runs
        "sensors/review_decisions_sensor": False,
    }
    page.goto(f"{base}/automation", wait_until="networkidle")
    for path, on in expected.items():
        row = page.locator("div[data-index]").filter(has=page.locator(f'a[href$="/{path}"]'))
        switch = row.locator('label[class*="formatSwitch"] input[type="checkbox"]')
        switch.wait_for(state="attached")
        assert switch.is_checked() is on, f"{path}: switched {'off' if on else 'on'}"
    _shot(page, "09_automation.png")
    repo = gql(
        AUTOMATION_QUERY,
        repo={"repositoryLocationName": "pixel_platform", "repositoryName": "__repository__"},
    )["repositoryOrError"]
    states = {s["name"]: s["scheduleState"]["status"] for s in repo["schedules"]}
    states |= {s["name"]: s["sensorState"]["status"] for s in repo["sensors"]}
    assert states == {
        "nightly_release_schedule": "STOPPED",
        "gdrive_sync_sensor": "STOPPED",
        "stale_run_sensor": "RUNNING",
        "review_decisions_sensor": "STOPPED",
    }
