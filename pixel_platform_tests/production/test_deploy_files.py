"""The deployment files are valid: what can be checked without Docker or a cluster.

* every YAML under deploy/ parses; the compose file has postgres + code + webserver + daemon,
  wired to the code image, the gRPC workspace and ``.env``;
* the code image is Python 3.11 slim, installs the project and serves
  ``pixel_platform.defs.definitions`` with ``dagster code-server start``;
* the Helm values have the structure Dagster's chart expects (``runLauncher.type:
  K8sRunLauncher``, ``dagster-user-deployments`` serving the code image, the run queue's release
  limit), and the K8s entry point swaps in ``k8s_job_executor`` without changing the asset graph;
* every deployment (image, compose, Helm) sets ``PIXEL_ENV=production``;
* ``.env.example`` lists every environment variable the code, the instance YAML and the compose
  file read (found by walking the code's syntax tree, not by a hand-kept list);
* (PostgreSQL) deploy/dagster.postgres.yaml loads as a Dagster instance on a fresh database:
  Postgres run/event/schedule storage, the queued run coordinator with the release limit, pools.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from pixel_platform_tests.production.support import ROOT, PgDatabase

DEPLOY = ROOT / "deploy"
PACKAGE = ROOT / "pixel_platform"
ENV_LINE = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=", re.MULTILINE)


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def test_every_deploy_yaml_parses() -> None:
    files = sorted(p for p in DEPLOY.rglob("*") if p.suffix in (".yaml", ".yml"))
    assert DEPLOY / "docker-compose.yaml" in files and DEPLOY / "helm" / "values.yaml" in files
    for path in files:
        for document in yaml.safe_load_all(path.read_text()):
            assert document is None or isinstance(document, dict | list), path


def test_compose_runs_the_four_services_from_the_code_image() -> None:
    compose = load_yaml(DEPLOY / "docker-compose.yaml")
    services = compose["services"]
    assert set(services) == {"postgres", "code", "webserver", "daemon", "label-studio"}
    assert services["code"]["build"]["dockerfile"] == "deploy/code.Dockerfile"
    assert (DEPLOY / services["code"]["build"]["context"]).resolve() == ROOT
    images = {services[name]["image"] for name in ("code", "webserver", "daemon")}
    assert len(images) == 1, "webserver and daemon run the code image"
    assert "pixel_platform.defs.definitions" in services["code"]["command"]
    assert "dagster-webserver" in services["webserver"]["command"]
    assert services["daemon"]["command"].startswith("dagster-daemon run")
    for name in ("code", "webserver", "daemon"):
        service = services[name]
        assert (DEPLOY / service["env_file"]).resolve() == ROOT / ".env"
        assert service["environment"]["DAGSTER_PG_HOST"] == "postgres"
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("webserver", "daemon"):
        assert "/opt/dagster/workspace.yaml" in services[name]["command"]
        assert services[name]["depends_on"]["code"]["condition"] == "service_healthy"
    assert all(p.startswith("127.0.0.1:") for p in services["webserver"]["ports"])
    # The review tool: loopback only, nothing reported to its vendor.
    review = services["label-studio"]
    assert review["image"].startswith("heartexlabs/label-studio:")
    assert all(p.startswith("127.0.0.1:") for p in review["ports"])
    env = review["environment"]
    assert env["SENTRY_DSN"] == env["FRONTEND_SENTRY_DSN"] == ""
    assert env["COLLECT_ANALYTICS"] == "false"
    workspace = load_yaml(DEPLOY / "compose" / "workspace.yaml")
    (location,) = workspace["load_from"]
    assert location["grpc_server"] == {
        "host": "code",
        "port": 4000,
        "location_name": "pixel_platform",
    }


def test_code_image_serves_the_definitions() -> None:
    text = (DEPLOY / "code.Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.MULTILINE)
    assert "pip install" in text
    cmd = " ".join(re.findall(r'"([^"]+)"', text.split("CMD", 1)[1]))
    assert "dagster code-server start" in cmd and "-m pixel_platform.defs.definitions" in cmd
    for source in re.findall(r"^COPY\s+(\S+)", text, re.MULTILINE):
        assert (ROOT / source).exists(), f"COPY {source}: not in the checkout"
    # The instance file the image bakes in is the production one.
    assert "deploy/dagster.postgres.yaml /opt/dagster/dagster_home/dagster.yaml" in text


def test_helm_values_fit_the_dagster_chart() -> None:
    values = load_yaml(DEPLOY / "helm" / "values.yaml")
    launcher = values["runLauncher"]
    assert launcher["type"] == "K8sRunLauncher"
    assert set(launcher["config"]) == {"k8sRunLauncher"}
    assert launcher["config"]["k8sRunLauncher"]["envSecrets"]
    user = values["dagster-user-deployments"]
    assert user["enabled"] and user["enableSubchart"]
    (deployment,) = user["deployments"]
    assert {"name", "image", "port"} <= set(deployment)
    assert {"repository", "tag", "pullPolicy"} <= set(deployment["image"])
    args = deployment["codeServerArgs"]
    entry = Path(args[args.index("-f") + 1])
    assert entry.name == "k8s_definitions.py" and (DEPLOY / entry.name).is_file()
    assert str(entry).startswith("/opt/pixel_platform/deploy/")  # where the image copies it
    coordinator = values["dagsterDaemon"]["runCoordinator"]
    assert coordinator["type"] == "QueuedRunCoordinator"
    limits = coordinator["config"]["queuedRunCoordinator"]["tagConcurrencyLimits"]
    assert {"key": "pixel/release-build", "limit": 1} in limits
    postgres = values["postgresql"]
    assert postgres["enabled"] is False and postgres["postgresqlHost"]
    assert values["global"]["postgresqlSecretName"]
    # Only keys the chart knows at the top level (its values.schema.json forbids others).
    known = {
        "global",
        "dagsterWebserver",
        "dagster-user-deployments",
        "runLauncher",
        "dagsterDaemon",
        "postgresql",
        "generatePostgresqlPasswordSecret",
        "generateCeleryConfigSecret",
        "additionalInstanceConfig",
        "telemetry",
        "rabbitmq",
        "redis",
        "flower",
        "ingress",
        "computeLogManager",
        "pythonLogs",
        "scheduler",
        "busybox",
        "migrate",
        "serviceAccount",
        "retention",
        "imagePullSecrets",
        "concurrency",
        "nameOverride",
        "fullnameOverride",
        "rbacEnabled",
        "extraManifests",
    }
    assert set(values) <= known, set(values) - known


def test_every_deployment_is_the_production_environment() -> None:
    """``PIXEL_ENV=production`` wherever the code location is served, so the nightly schedule and
    the sync sensor start running there (they start stopped in local development)."""
    dockerfile = (DEPLOY / "code.Dockerfile").read_text()
    assert re.search(r"^\s*PIXEL_ENV=production\b", dockerfile, re.MULTILINE)
    compose = load_yaml(DEPLOY / "docker-compose.yaml")
    for name in ("code", "webserver", "daemon"):
        assert compose["services"][name]["environment"]["PIXEL_ENV"] == "production", name
    (deployment,) = load_yaml(DEPLOY / "helm" / "values.yaml")["dagster-user-deployments"][
        "deployments"
    ]
    assert {"name": "PIXEL_ENV", "value": "production"} in deployment["env"]


def test_k8s_entry_point_runs_every_step_in_its_own_pod() -> None:
    pytest.importorskip(
        "dagster_k8s", reason="dagster-k8s is a dev dependency (pixel-platform[k8s])"
    )
    from dagster_k8s import k8s_job_executor

    from pixel_platform.defs.definitions import defs as base

    spec = importlib.util.spec_from_file_location("k8s_definitions", DEPLOY / "k8s_definitions.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    repo, base_repo = module.defs.get_repository_def(), base.get_repository_def()
    assert {j.name for j in repo.get_all_jobs()} == {j.name for j in base_repo.get_all_jobs()}
    assert set(repo.asset_graph.get_all_asset_keys()) == set(
        base_repo.asset_graph.get_all_asset_keys()
    )
    for job in ("dataset_release_job", "ingest_cptsd_job"):
        assert repo.get_job(job).executor_def.name == k8s_job_executor.name
    from dagster._config import process_config

    schema = k8s_job_executor.config_schema.as_field().config_type
    assert process_config(schema, module.EXECUTOR_CONFIG).success, module.EXECUTOR_CONFIG


# -- .env.example ----------------------------------------------------------------------------------
ENV_CALLS = {"get", "getenv", "setdefault", "pop", "EnvVar", "_first", "_secret"}


def _string_constants(tree: ast.Module) -> dict[str, list[str]]:
    """Module-level NAME = "X" / ("X", "Y") assignments."""
    found: dict[str, list[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            values = (
                [node.value]
                if isinstance(node.value, ast.Constant)
                else (list(node.value.elts) if isinstance(node.value, ast.Tuple | ast.List) else [])
            )
            strings = [
                v.value for v in values if isinstance(v, ast.Constant) and isinstance(v.value, str)
            ]
            for target in targets:
                if isinstance(target, ast.Name) and strings:
                    found[target.id] = strings
    return found


def _is_env_like(node: ast.AST) -> bool:
    text = ast.unparse(node)
    return "environ" in text or text in ("env", "os") or text.endswith(".env")


def variables_read_by(path: Path) -> set[str]:
    """Environment variables a module reads: os.environ[...] / .get / getenv / EnvVar(...) /
    the storage settings' ``_first(env, ...)``, with module constants resolved."""
    tree = ast.parse(path.read_text())
    constants = _string_constants(tree)
    names: set[str] = set()

    def resolve(arg: ast.AST) -> list[str]:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            return [arg.value]
        if isinstance(arg, ast.Name):
            return constants.get(arg.id, [])
        return []

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name not in ENV_CALLS:
                continue
            owner = func.value if isinstance(func, ast.Attribute) else None
            if name in ("get", "setdefault", "pop") and not (owner and _is_env_like(owner)):
                continue
            # get/getenv/setdefault/pop: the name is the first argument (then a default).
            for arg in node.args if name in ("_first", "_secret") else node.args[:1]:
                names.update(resolve(arg))
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
            if _is_env_like(node.value):
                names.update(resolve(node.slice))
        elif isinstance(node, ast.For) and _is_env_like_loop(node):
            names.update(resolve(node.iter))
    return {n for n in names if re.fullmatch(r"[A-Z][A-Z0-9_]+", n)}


def _is_env_like_loop(node: ast.For) -> bool:
    """``for name in VARS: os.environ.get(name)``: the loop's iterable names variables."""
    return any(
        isinstance(inner, ast.Call) and _is_env_like(getattr(inner.func, "value", inner.func))
        for inner in ast.walk(node)
    )


def variables_in_code() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for name in variables_read_by(path):
            found.setdefault(name, []).append(str(path.relative_to(ROOT)))
    # credentials are declared once, as data (storage/settings.py SECRET_ENV_NAMES), and read
    # through it
    from pixel_platform.storage.settings import SECRET_ENV_VARS

    for name in SECRET_ENV_VARS:
        found.setdefault(name, []).append("pixel_platform/storage/settings.py")
    for path in (DEPLOY / "dagster.postgres.yaml", ROOT / "dagster.yaml"):
        for name in re.findall(r"\{env:\s*([A-Z0-9_]+)\}", path.read_text()):
            found.setdefault(name, []).append(str(path.relative_to(ROOT)))
    compose = (DEPLOY / "docker-compose.yaml").read_text()
    for name in re.findall(r"\$\{([A-Z0-9_]+)", compose):
        found.setdefault(name, []).append("deploy/docker-compose.yaml")
    return found


def test_the_scanner_finds_the_known_variables() -> None:
    found = variables_in_code()
    expected = {
        "DATASET_STORAGE_BACKEND",
        "OVH_S3_BUCKET",
        "OVH_S3_SECRET_KEY",
        "AWS_SECRET_ACCESS_KEY",
        "PIXEL_SYNC_SENSOR_INTERVAL_S",
        "PIXEL_REGISTRY",
        "PIXEL_PII_MODEL",
        "DAGSTER_HOME",
        "DAGSTER_PG_PASSWORD",
        "AWS_CA_BUNDLE",
        "PIXEL_CURATION_CONFIG",
    }
    assert expected <= set(found), expected - set(found)


def test_env_example_lists_every_variable_the_project_reads() -> None:
    listed = set(ENV_LINE.findall((ROOT / ".env.example").read_text()))
    missing = {name: where for name, where in variables_in_code().items() if name not in listed}
    assert not missing, f"add these to .env.example: {missing}"


# -- the production instance on PostgreSQL ---------------------------------------------------------
@pytest.mark.integration
def test_the_postgres_instance_config_loads(
    pg_database: PgDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dagster as dg

    shutil.copyfile(DEPLOY / "dagster.postgres.yaml", tmp_path / "dagster.yaml")
    for key, value in pg_database.env().items():
        monkeypatch.setenv(key, value)
    instance = dg.DagsterInstance.from_config(str(tmp_path))
    try:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        config = instance.get_concurrency_config()
        assert {"key": "pixel/release-build", "limit": 1} in (
            config.run_queue_config.tag_concurrency_limits
        )
        assert config.pool_config.default_pool_limit == 1
        # It really writes there: a run record round-trips through the new database.
        run = instance.create_run_for_job(dg.GraphDefinition("noop").to_job(), run_id=None)
        assert instance.get_run_by_id(run.run_id) is not None
    finally:
        instance.dispose()
