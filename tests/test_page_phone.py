"""The HTML report and the weekly summary in a real browser (Debian's headless Chromium), at a
phone's 390 px and a desktop's 1280 px (issue 24 items 4 and 7).

How it measures: headless Chromium will not make a window narrower than 500 px, so the page is
loaded in an iframe of the width asked for (the page's own viewport is then that wide, as on a
phone). A small script added to a copy of the page measures it after load and posts the figures
to the wrapper, which writes them into its DOM; `--dump-dom` prints that. No driver, no browser
download: /usr/bin/chromium as CI installs it (.ci/run).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from datetime import date
from pathlib import Path

import pytest

from .browser import chromium, chromium_flags, needs_chromium

WIDTHS = (390, 1280)

MEASURE = """<script>
window.addEventListener("load", () => {
  const root = document.documentElement;
  const boxed = [...document.querySelectorAll("table")].filter(t => t.closest(".scroll"));
  const status = {};
  for (const cell of document.querySelectorAll("td.status")) {
    const cls = [...cell.classList].find(c => c !== "status") || "";
    const span = cell.querySelector("span") || cell;
    status[cls] = getComputedStyle(span).color + " on " + getComputedStyle(span).backgroundColor;
  }
  const boxes = [...document.querySelectorAll(".scroll")].map(b => b.getBoundingClientRect().right);
  parent.postMessage(JSON.stringify({
    scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, innerWidth: window.innerWidth,
    tables: document.querySelectorAll("table").length, boxed: boxed.length,
    widestBox: Math.max(0, ...boxes), text: document.body.innerText, status: status,
    overview: (document.querySelector(".overview") || {}).innerText || "",
    firstBlock: (document.querySelector("h1 ~ p.overview") ? "overview" : ""),
  }), "*");
});
</script>"""

WRAPPER = """<!DOCTYPE html><html><body style="margin:0">
<iframe src="page.html" style="width:{width}px;height:{height}px;border:0"></iframe>
<script>window.addEventListener("message", e => document.body.setAttribute("data-measure", e.data));</script>
</body></html>"""


pytestmark = needs_chromium


def _flags(profile: str) -> list[str]:
    return chromium_flags(profile, "--hide-scrollbars")  # a phone's scrollbars overlay the page


def _stage(page: Path, width: int, folder: Path, height: int = 2400) -> Path:
    """The page (with the measuring script) and a wrapper holding it in an iframe `width` wide."""
    folder.mkdir(parents=True, exist_ok=True)
    html = page.read_text(encoding="utf-8")
    (folder / "page.html").write_text(html.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    wrapper = folder / "wrapper.html"
    wrapper.write_text(WRAPPER.format(width=width, height=height), encoding="utf-8")
    return wrapper


def measure(page: Path, width: int, folder: Path) -> dict:
    """What the browser measured of `page` at `width` px."""
    wrapper = _stage(page, width, folder)
    profile = tempfile.mkdtemp()
    try:
        dom = subprocess.run(
            [chromium(), *_flags(profile), "--virtual-time-budget=10000", "--dump-dom", wrapper.as_uri()],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    found = re.search(r'data-measure="([^"]*)"', dom.stdout)
    assert found, f"the page did not report its measures: {dom.stderr[-500:]}"
    import html

    return json.loads(html.unescape(found.group(1)))


def screenshot(page: Path, width: int, folder: Path, height: int = 2400) -> Path:
    """A PNG of the page at `width` px (its top `height` px), for a person to look at."""
    wrapper = _stage(page, width, folder, height)
    shot = folder / f"shot-{width}.png"
    profile = tempfile.mkdtemp()
    try:
        subprocess.run(
            [
                chromium(),
                *_flags(profile),
                f"--window-size={max(width, 500)},{height}",
                f"--screenshot={shot}",
                wrapper.as_uri(),
            ],
            capture_output=True,
            timeout=120,
            check=True,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return shot


@pytest.fixture(scope="module")
def pages(shipped, tmp_path_factory) -> dict[str, Path]:
    """The report as an official asks for it and the weekly summary, both as HTML."""
    from typer.testing import CliRunner

    from ipdemo.cli import app

    out = tmp_path_factory.mktemp("pages")
    runner = CliRunner()
    import os

    here = os.getcwd()
    os.chdir(shipped)
    try:
        report = out / "进度.html"
        summary = out / "周报.html"
        assert runner.invoke(app, ["report", "--format", "html", "--output", str(report)]).exit_code == 0
        done = runner.invoke(app, ["summary", "--as-of", "2023-09-30", "--format", "html", "--output", str(summary)])
        assert done.exit_code == 0
    finally:
        os.chdir(here)
    return {"report": report, "summary": summary}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("which", ["report", "summary"])
def test_the_page_never_scrolls_sideways(pages, tmp_path, which, width):
    seen = measure(pages[which], width, tmp_path)
    assert seen["innerWidth"] == width
    assert seen["scrollWidth"] <= seen["clientWidth"], seen  # the page itself: no horizontal overflow
    assert seen["tables"] > 0 and seen["boxed"] == seen["tables"]  # each table scrolls in its own box
    assert seen["widestBox"] <= seen["clientWidth"]


@pytest.mark.parametrize("which", ["report", "summary"])
def test_readers_see_names_not_ids(pages, tmp_path, which):
    text = measure(pages[which], 390, tmp_path)["text"]
    assert "专利申请量" in text
    for raw in ("patent_applications", "software_copyrights", "t3_5_1", "t1_1"):
        assert raw not in text


@pytest.mark.parametrize("which", ["report", "summary"])
def test_each_status_has_its_own_colour(pages, tmp_path, which):
    status = measure(pages[which], 1280, tmp_path)["status"]
    shown = {s: status[s] for s in ("achieved", "on_track", "at_risk", "behind") if s in status}
    assert {"achieved", "behind"} <= set(shown), status  # the template applied the classes
    assert len(set(shown.values())) == len(shown), status  # 滞后 and 有风险 never share a colour
    if which == "summary":  # the week of 2023-09-30 has every status
        assert len(shown) == 4


@pytest.mark.parametrize("which", ["report", "summary"])
def test_the_page_opens_with_the_overview_line(pages, tmp_path, which):
    seen = measure(pages[which], 390, tmp_path)
    assert seen["firstBlock"] == "overview"
    assert re.fullmatch(
        r"22项指标：(已完成|正常推进|有风险|滞后)\d+项(，(正常推进|有风险|滞后)\d+项)*", seen["overview"]
    )
    assert "0项" not in seen["overview"].replace("10项", "").replace("20项", "")


def test_the_summary_says_its_week_once_in_chinese_and_no_command(pages):
    html = pages["summary"].read_text(encoding="utf-8")
    title = re.search(r"<h1>(.*?)</h1>", html).group(1)
    assert title == "知识产权工作周报（2023年9月24日至9月30日）"
    officials = html.split("附：台账管理员事项")[0]
    assert "ipdemo" not in officials.replace('lang="zh-CN"', "")
    assert "每周需完成 1" not in html and "13周内还需2次" in html


@pytest.mark.parametrize("width", WIDTHS)
def test_screenshots_can_be_taken_at_both_widths(pages, tmp_path, width):
    """The PNGs a person looks at (kept under the test's tmp folder)."""
    from PIL import Image

    for which, page in pages.items():
        shot = screenshot(page, width, tmp_path / which)
        image = Image.open(shot).convert("L")
        assert image.size[0] == max(width, 500)
        ink = sum(image.crop((0, 0, width, 1200)).histogram()[:128])
        assert ink > 5_000  # text was drawn


# --- the charts on the page (render/charts.py, the SVG writer) ---------------------------------

COUNT_UNITS = ("件", "家", "个", "次", "项", "名", "单")


def _y_ticks(svg: str) -> list[str]:
    """The value axis' tick labels of an inline SVG chart (text kept as text)."""
    return [re.search(r"<text[^>]*>([^<]*)</text>", part).group(1) for part in svg.split('<g id="ytick_')[1:]]


def test_count_axes_are_whole_numbers(pages):
    html = pages["summary"].read_text(encoding="utf-8")
    figures = re.findall(r'<figure id="((?:burnup|annual)-[^"]+)">(.*?)</figure>', html, re.S)
    counts = [(name, body) for name, body in figures if re.search(r"（(?:%s)(?:/年)?）" % "|".join(COUNT_UNITS), body)]
    assert len(counts) >= 8 and any(name == "burnup-provincial_hv_centers" for name, _ in counts)  # a target of 1
    for name, body in counts:
        ticks = _y_ticks(body)
        assert ticks and all(re.fullmatch(r"[\d,]+", t) for t in ticks), (name, ticks)


def test_legends_sit_outside_the_plot(shipped, monkeypatch):
    """No legend inside an axes (where it covered the target line); the figure's legend does not
    overlap the plotting area."""
    from ipdemo.engine.dataset import load_dataset
    from ipdemo.engine.progress import Window, compute
    from ipdemo.plan.model import load_plan
    from ipdemo.render import charts

    plan = load_plan(shipped / "targets.yaml")
    data = load_dataset(plan)
    progress = compute(plan, data, Window(plan.plan.start, date(2023, 9, 30)))
    seen = []
    real = charts._svg

    def check(fig):
        renderer = fig._get_renderer()  # lays the figure out as saving it will
        fig.draw(renderer)
        for ax in fig.axes:
            assert ax.get_legend() is None
            for legend in fig.legends:
                assert not legend.get_window_extent(renderer).overlaps(ax.get_window_extent(renderer))
        seen.append(len(fig.legends))
        return real(fig)

    monkeypatch.setattr(charts, "_svg", check)
    made = charts.all_charts(plan, data, progress, "zh")
    assert len(made) == len(seen) == 15 and all(seen)
