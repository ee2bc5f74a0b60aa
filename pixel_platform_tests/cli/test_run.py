from pathlib import Path

import orjson
import pytest

from pixel_platform.cli.main import main
from pixel_platform.pipeline import layout
from pixel_platform.registry import load_registry


@pytest.mark.integration
def test_run_on_bundled_sample(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    root = tmp_path / "bucket"
    assert main(["run", "--storage-root", str(root)]) == 0
    printed = capsys.readouterr().out
    assert "seeded" in printed and "total" in printed

    registry = load_registry()
    units = out = quarantined = 0
    for name, family in registry.families.items():
        for source in family.sources:
            stats_path = root / layout.processed_stats_key(name, source.location)
            assert stats_path.is_file(), f"{name} {source.location} not processed"
            stats = orjson.loads(stats_path.read_bytes())
            assert stats["units_in"] == stats["records_out"] + stats["quarantined"]
            units += stats["units_in"]
            out += stats["records_out"]
            quarantined += stats["quarantined"]
    assert out > 1000 and quarantined > 0 and units == out + quarantined
