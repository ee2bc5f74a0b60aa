"""A reviewer opens a PII task in Label Studio's own UI (Debian's chromium, headless): the
uncertain span is already highlighted as a pre-annotation to accept, correct or delete.
Screenshot: ``pixel_platform_tests/review/artifacts/pii_task.png``."""

from __future__ import annotations

from pathlib import Path

import pytest

from pixel_platform.review.book import PII_TASK
from pixel_platform.review.items import LABEL_CONFIGS, ReviewItem, project_title
from pixel_platform.review.label_studio import LabelStudio
from pixel_platform_tests.review.support import LabelStudioServer

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
USER = "I told Marisol I can't go on. I’m scared."


def test_a_reviewer_sees_the_uncertain_span_highlighted(label_studio: LabelStudioServer) -> None:
    if not CHROMIUM.exists():
        print(f"SKIP: {CHROMIUM} not found; scripts/setup.sh --dev installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} not found")
    from playwright.sync_api import sync_playwright

    start = USER.index("Marisol")
    item = ReviewItem(
        PII_TASK, "ui#0", "addiction", "sha256:0",
        [{"role": "user", "content": USER}, {"role": "assistant", "content": "Thank you."}],
        uncertain=({"turn": 0, "type": "PERSON", "start": start, "end": start + 7},),
    )  # fmt: skip
    client = LabelStudio(label_studio.url, label_studio.api_key)
    project = client.project_id(project_title(PII_TASK, "test-ui"), LABEL_CONFIGS[PII_TASK])
    client.import_tasks(project, [item.ls_task()])
    (task,) = list(client.tasks(project))

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.set_default_timeout(90_000)
            page.goto(f"{label_studio.url}/user/login/")
            page.fill("input[name=email]", label_studio.email)
            page.fill("input[name=password]", label_studio.password)
            page.click("button[type=submit]")
            page.wait_for_load_state("networkidle")
            page.goto(f"{label_studio.url}/projects/{project}/data?task={task.id}")
            highlight = page.locator(".htx-highlight").first
            highlight.wait_for()
            assert highlight.inner_text() == "Marisol"
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "pii_task.png"))
        finally:
            browser.close()
