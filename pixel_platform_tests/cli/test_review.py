"""``pixel-platform review sign-off``: the decision goes to the review log; an approval of a
release that waits for review moves LATEST, a rejection or a changed report does not."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from pixel_platform.cli.main import main
from pixel_platform.registry.model import DEFAULT_REGISTRY, load_registry
from pixel_platform.release import read_latest
from pixel_platform.release.bias_qa import BiasQaConfig
from pixel_platform.release.layout import BIAS_QA
from pixel_platform.release.review import BIAS_QA_TASK
from pixel_platform.review.log import read_decisions
from pixel_platform_tests.release.support import build_synthetic
from pixel_platform_tests.review.support import LabelStudioServer


def test_sign_off_records_the_decision_and_moves_latest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("PIXEL_REGISTRY", raising=False)
    root = tmp_path / "bucket"
    built = build_synthetic(
        root, load_registry(DEFAULT_REGISTRY), bias_qa=BiasQaConfig(require_review=True)
    )
    version = built.result.version
    assert built.result.awaiting_review and read_latest(built.store) is None
    args = ["review", "sign-off", "--version", version, "--storage-root", str(root)]

    assert main([*args, "--reviewer", "ana@example.org", "--reject"]) == 0
    assert "rejected" in capsys.readouterr().out and read_latest(built.store) is None

    assert main([*args, "--reviewer", "ana@example.org"]) == 0
    out = capsys.readouterr().out
    assert f"LATEST -> {version}" in out and read_latest(built.store) == version
    assert [d.decision for d in read_decisions(built.store, BIAS_QA_TASK)] == [
        "rejected",
        "approved",
    ]

    # A report changed after the build is not what the reviewer was asked about.
    report = root / built.result.prefix / BIAS_QA
    report.write_bytes(orjson.dumps({"tampered": True}))
    assert main([*args, "--reviewer", "ana@example.org"]) == 2
    assert "not the file its manifest lists" in capsys.readouterr().err
    assert main(["review", "sign-off", "--version", "v2099-01-01", "--reviewer", "x",
                 "--storage-root", str(root)]) == 2  # fmt: skip


def test_queue_commands_talk_to_label_studio_and_say_what_is_missing(
    label_studio: LabelStudioServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    root = ["--storage-root", str(tmp_path / "bucket"), "--namespace", "test-cli"]
    assert main(["review", "status", *root]) != 0
    assert "LABEL_STUDIO_URL" in capsys.readouterr().err

    monkeypatch.setenv("LABEL_STUDIO_URL", label_studio.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", label_studio.api_key)
    assert main(["review", "status", *root]) == 0
    assert capsys.readouterr().out.strip() == "review status: {}"  # nothing queued yet
    assert main(["review", "pull", *root]) == 0
    assert capsys.readouterr().out.strip() == "review pull: {}"
    assert main(["review", "push", *root]) != 0  # no pipeline run yet: nothing to read
    assert "deduplicated_conversations" in capsys.readouterr().err
