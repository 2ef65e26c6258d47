"""`make plots` renders DVC plots offline: plots/template.html loads the vendored Vega builds.

DVC's default page loads vega, vega-lite and vega-embed from cdn.jsdelivr.net and is blank
without network access; plots/template.html has no scripts placeholder (so DVC's CDN tags
are never inserted) and loads plots/vendor/*.js instead, which `make plots` copies next to
the written index.html (<out>/vendor/).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "plots" / "template.html"
VENDOR = ROOT / "plots" / "vendor"
VENDORED = ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js")
SCRIPT_SRC = re.compile(r"<script[^>]*\bsrc\s*=\s*[\"']([^\"']+)[\"']", re.IGNORECASE)


def _script_sources(html: str) -> list[str]:
    return SCRIPT_SRC.findall(html)


def _readme_hashes() -> dict[str, str]:
    """file name -> sha256, from the table in plots/vendor/README.md."""
    table = re.findall(
        r"^\|\s*([\w.-]+\.js)\s*\|[^|]*\|[^|]*\|\s*([0-9a-f]{64})\s*\|",
        (VENDOR / "README.md").read_text(encoding="utf8"),
        re.MULTILINE,
    )
    return dict(table)


def test_template_loads_only_local_scripts() -> None:
    html = TEMPLATE.read_text(encoding="utf8")
    assert "{plot_divs}" in html  # dvc-render refuses a template without it
    assert "{scripts}" not in html  # would bring back DVC's CDN <script> tags
    sources = _script_sources(html)
    assert sources == [f"vendor/{name}" for name in VENDORED]  # load order matters
    for src in sources:
        assert "://" not in src and not src.startswith("//"), src
    assert "cdn.jsdelivr" not in html


def test_vendored_files_match_readme_sha256() -> None:
    hashes = _readme_hashes()
    assert sorted(hashes) == sorted(VENDORED)
    for name in VENDORED:
        path = VENDOR / name
        assert path.is_file(), path
        assert path.stat().st_size < 2_000_000, path
        assert hashlib.sha256(path.read_bytes()).hexdigest() == hashes[name], name
    for package in ("vega", "vega-lite", "vega-embed"):
        licence = (VENDOR / f"LICENSE.{package}").read_text(encoding="utf8")
        assert "Redistribution and use in source and binary forms" in licence, package  # BSD-3


def _plots_recipe() -> list[str]:
    makefile = (ROOT / "Makefile").read_text(encoding="utf8")
    target = makefile.split("\nplots:", 1)[1].split("\n\n", 1)[0]
    return [line.strip() for line in target.splitlines()[1:] if line.startswith("\t")]


def test_make_plots_copies_vendor_next_to_output() -> None:
    recipe = "\n".join(_plots_recipe())
    assert "--template plots/template.html" in recipe
    assert "-o reports/dvc_plots" in recipe
    assert "cp plots/vendor/*.js reports/dvc_plots/vendor/" in recipe


def _dvc() -> str | None:
    local = Path(sys.executable).with_name("dvc")
    return str(local) if local.is_file() else shutil.which("dvc")


@pytest.mark.skipif(_dvc() is None or shutil.which("git") is None, reason="needs dvc and git")
def test_dvc_plots_show_with_template_is_offline(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    env = {**os.environ, "DVC_NO_ANALYTICS": "1", "GIT_TERMINAL_PROMPT": "0"}

    def run(*cmd: str) -> subprocess.CompletedProcess:
        return subprocess.run(cmd, cwd=repo, env=env, check=True, capture_output=True, text=True)

    run("git", "init", "-q")
    run(_dvc(), "init", "-q")
    (repo / "curve.tsv").write_text("step\tloss\n0\t0.9\n1\t0.6\n2\t0.4\n", encoding="utf8")
    (repo / "dvc.yaml").write_text("plots:\n  - curve.tsv:\n      x: step\n", encoding="utf8")

    out = tmp_path / "out"
    run(_dvc(), "plots", "show", "--html-template", str(TEMPLATE), "-o", str(out))
    html = (out / "index.html").read_text(encoding="utf8")

    assert "cdn.jsdelivr" not in html and "unpkg.com" not in html
    sources = _script_sources(html)
    assert sources == [f"vendor/{name}" for name in VENDORED]
    assert "vegaEmbed(" in html and '"step"' in html  # the plot itself was embedded

    # what `make plots` does after `dvc plots show`: the sources then resolve from index.html
    (out / "vendor").mkdir()
    for name in VENDORED:
        shutil.copy(VENDOR / name, out / "vendor" / name)
    for src in sources:
        assert (out / src).is_file(), src


def _png(path: Path) -> None:
    from matplotlib.figure import Figure

    path.parent.mkdir(parents=True, exist_ok=True)
    fig = Figure(figsize=(2, 1))
    fig.subplots().plot([0, 1])
    fig.savefig(path)


@pytest.mark.skipif(_dvc() is None or shutil.which("git") is None, reason="needs dvc and git")
def test_make_plots_page_groups_by_data_set_then_run(tmp_path: Path) -> None:
    """The Makefile's recipe, run as written on the project's own `plots:` section: headings per data
    set and run, comparisons first, one chart per training metric with both lines, a map link."""
    repo = tmp_path / "repo"
    repo.mkdir()
    env = {**os.environ, "DVC_NO_ANALYTICS": "1", "GIT_TERMINAL_PROMPT": "0",
           "PYTHONPATH": str(ROOT / "src")}
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run([_dvc(), "init", "-q"], cwd=repo, check=True, env=env)
    plots_section = (ROOT / "dvc.yaml").read_text(encoding="utf8").split("\nplots:", 1)[1]
    (repo / "dvc.yaml").write_text("plots:" + plots_section, encoding="utf8")
    shutil.copytree(ROOT / "plots", repo / "plots")
    for name in ("comparison/error_cdf_geo.png", "comparison/coverage_geo.png", "plots/geo-a/error_map.png",
                 "plots/geo-a/coverage.png", "plots/geo-a/per_label_bars.png", "plots/dis-b/calibration.png",
                 "plots/dis-b/precision_recall.png", "plots/dis-b/confusion_matrix.png"):
        _png(repo / "reports" / name)
    (repo / "reports/plots/geo-a/training_loss.tsv").write_text(
        "epoch\ttrain\tvalidation\n1\t3.0\t3.5\n2\t2.0\t2.9\n", encoding="utf8")
    (repo / "reports/details").mkdir()
    for run, dataset in (("geo-a", "geo"), ("dis-b", "dis")):
        (repo / "reports/details" / f"{run}.json").write_text(f'{{"dataset": "{dataset}"}}', encoding="utf8")
    (repo / "reports/predictions/geo-a").mkdir(parents=True)
    (repo / "reports/predictions/geo-a/map.html").write_text("<html></html>", encoding="utf8")

    bin_dir = str(Path(sys.executable).parent)
    for line in _plots_recipe():
        subprocess.run(line.replace("$(BIN)", bin_dir), shell=True, cwd=repo, env=env, check=True,
                       capture_output=True)
    out = repo / "reports/dvc_plots"
    html = (out / "index.html").read_text(encoding="utf8")

    headings = [(level, text.strip()) for level, text in re.findall(r"<h([23])[^>]*>([^<]+)", html)]
    assert headings == [("2", "dis"), ("3", "dis-b"), ("2", "geo"), ("3", "All runs compared"), ("3", "geo-a")]
    captions = re.findall(r"<figcaption>([^<]+)</figcaption>", html)
    assert captions == ["precision_recall.png", "calibration.png", "confusion_matrix.png",  # dis-b
                        "error_cdf_geo.png", "coverage_geo.png",  # geo, all runs: CDFs first
                        "coverage.png", "error_map.png", "training_loss.tsv", "per_label_bars.png"]  # geo-a
    for src in re.findall(r'<img src="([^"]+)"', html):
        assert (out / src).is_file(), src
    assert html.count("vegaEmbed(") == 1 and '"validation"' in html and '"train"' in html
    href = re.search(r'<a class="map" href="([^"]+)"', html).group(1)
    assert (out / href).resolve() == (repo / "reports/predictions/geo-a/map.html").resolve()
    assert _script_sources(html) == [f"vendor/{name}" for name in VENDORED]
    assert "cdn.jsdelivr" not in html and "{plot_divs}" not in html
    for name in VENDORED:
        assert (out / "vendor" / name).is_file()
