"""An asset's progress goes to the run log, and also to terminal bars when the run asks."""


import dagster as dg
import pytest

from pixel_platform.core.progress import TqdmProgress
from pixel_platform.defs.progress import console_progress_tags, run_progress


def _progress_asset(sinks: list[object]) -> dg.AssetsDefinition:
    @dg.asset
    def counted(context: dg.AssetExecutionContext) -> None:
        with run_progress(context, every_s=0.0) as progress:
            sinks.append(progress)
            for i in range(1, 4):
                progress("counting", i, 3, item=f"part-{i}")

    return counted


@pytest.mark.parametrize("tags", [{}, console_progress_tags()])
def test_progress_reaches_the_run_log_and_bars_only_when_tagged(
    tags: dict[str, str], capfd: pytest.CaptureFixture[str]
) -> None:
    sinks: list[object] = []
    with dg.instance_for_test() as instance:
        result = dg.materialize([_progress_asset(sinks)], instance=instance, tags=tags)
        assert result.success
        messages = [
            e.event_log_entry.user_message
            for e in instance.get_records_for_run(result.run_id).records
        ]
    assert any("counting: 3/3" in m for m in messages), messages
    bars = "| 0/3 [" in capfd.readouterr().err  # a tqdm frame ("counting:   0%|   | 0/3 [..")
    assert bars == bool(tags)
    assert isinstance(sinks[0], TqdmProgress) is False  # always the run log, bars teed in
