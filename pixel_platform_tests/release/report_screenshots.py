"""Screenshots of ``report.html`` files, for a person to look at (not a test).

    .venv/bin/python -m pixel_platform_tests.release.report_screenshots OUT_DIR NAME=REPORT ...

writes ``OUT_DIR/NAME.png`` (the whole page) and ``OUT_DIR/NAME-<section>.png`` (one per ``h2``)
with Playwright driving Debian's chromium (never a downloaded browser), offline.
``pixel_platform_tests/release/artifacts/`` holds the ones of the synthetic release fixture and
the bundled sample.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
WIDTH = 1200


def shoot(report: Path, out: Path, name: str) -> list[Path]:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    written = [out / f"{name}.png"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": WIDTH, "height": 900})
        page.route("**/*", lambda route: route.abort() if not route.request.url.startswith(
            "file:") else route.continue_())  # fmt: skip
        page.goto(report.resolve().as_uri())
        page.screenshot(path=str(written[0]), full_page=True)
        headings = page.evaluate(
            "() => [...document.querySelectorAll('h2')].map(h => [h.textContent,"
            " h.getBoundingClientRect().top + window.scrollY])"
        )
        sections = [["overview", 12.0], *headings]
        end = page.evaluate("document.documentElement.scrollHeight")
        for (title, top), (_, bottom) in zip(sections, [*sections[1:], ["", end]], strict=True):
            slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40]
            path = out / f"{name}-{slug}.png"
            clip = {"x": 0, "y": top - 12, "width": WIDTH, "height": bottom - top}
            page.screenshot(path=str(path), full_page=True, clip=clip)
            written.append(path)
        browser.close()
    return written


def main(argv: list[str]) -> int:
    out, *reports = argv
    for item in reports:
        name, _, report = item.partition("=")
        for path in shoot(Path(report), Path(out), name):
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
