"""workspace.yaml loads the code location, and the webserver serves its asset graph."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from pixel_platform_tests.production.support import free_ports, webserver_command

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def test_dagster_validates_workspace() -> None:
    proc = subprocess.run(
        [str(BIN / "dagster"), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Validation successful for code location pixel_platform" in proc.stdout + proc.stderr


@pytest.mark.integration
def test_webserver_shows_the_asset_graph(tmp_path: Path) -> None:
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text((ROOT / "dagster.yaml").read_text())
    (port,) = free_ports(1)
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    proc = subprocess.Popen(
        webserver_command(port),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        query = "{ assetNodes { assetKey { path } dependencyKeys { path } } }"
        deadline = time.monotonic() + 90
        nodes = None
        while time.monotonic() < deadline:
            try:
                reply = requests.post(
                    f"http://127.0.0.1:{port}/graphql", json={"query": query}, timeout=10
                )
                data = reply.json().get("data") or {}
                if data.get("assetNodes"):
                    nodes = data["assetNodes"]
                    break
            except requests.RequestException:
                pass
            time.sleep(1)
        assert nodes, "the webserver did not serve asset nodes within 90 s"
        keys = {"/".join(n["assetKey"]["path"]): n for n in nodes}
        assert "source_inventory" in keys
        processed = keys["processed/cptsd"]
        assert {"path": ["raw", "cptsd"]} in processed["dependencyKeys"]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
