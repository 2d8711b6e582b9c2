"""The reconciliation page in a real browser: headless Chromium renders it offline, and the screenshot is kept in
out/test-artifacts for a person to look at."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from function_app.adapters.reconciliation.page import render_html
from tests.unit.test_reconciliation_report import SCRIPT, sample_report

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT = ROOT / "out" / "test-artifacts" / "reconciliation-report.png"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs headless Chromium at /usr/bin/chromium (./dev test installs it with apt-get)"
)


def chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # Offline by design: no sync, no component updates, no background requests to hosts it cannot reach.
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", "--hide-scrollbars"]
    return subprocess.run([str(CHROMIUM), *flags, *args], capture_output=True, text=True, timeout=120, check=True)


@pytest.fixture
def page(tmp_path: Path) -> Path:
    path = tmp_path / "reconciliation-2026-03-02.html"
    path.write_text(render_html(sample_report()), encoding="utf-8")
    return path


def test_the_page_renders_its_summary_and_break_rows(page: Path, tmp_path: Path) -> None:
    dom = chromium(tmp_path / "profile-dom", "--dump-dom", page.as_uri()).stdout
    assert "Monday 2 March 2026" in dom
    assert '<section class="banner bad" role="status">' in dom and "<strong>7 breaks</strong>" in dom
    assert "Contracts checked" in dom and "1,786" in dom
    for row in ('<td class="mono">VSC4000017</td>', '<td class="mono">VSC4000003</td>',
                '<td class="mono">part-2.dat#8</td>'):
        assert row in dom
    assert dom.count('class="feed-bars"') == 4
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom and SCRIPT not in dom  # shown as text, not run


def test_a_screenshot_is_kept_for_people_to_look_at(page: Path, tmp_path: Path) -> None:
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    SCREENSHOT.unlink(missing_ok=True)
    chromium(tmp_path / "profile-shot", f"--screenshot={SCREENSHOT}", "--window-size=1280,1600", page.as_uri())
    png = SCREENSHOT.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(png[16:20], "big") == 1280  # width, from the IHDR chunk
    assert len(png) > 50_000, "a blank page would compress to almost nothing"
