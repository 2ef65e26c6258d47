"""The plots page (`make plots`): DVC's plots, grouped by data set then run, headline figures first.

`dvc plots show --json -o DIR` (or `dvc plots diff --json -o DIR`) resolves every plot declared
in dvc.yaml and copies the images into DIR; this module lays them out with headings — per data
set the comparison figures (error CDFs, coverage), then each run's figures in a fixed order
(headline first, training curves and per-label bars last), a link to the run's interactive map —
and fills plots/template.html, which loads the vendored Vega builds (no network).

    python -m tweetgeo.plots_page DIR/plots.json --template plots/template.html -o DIR/index.html
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
from pathlib import Path, PurePosixPath

from tweetgeo import paths
from tweetgeo.io import atomic_path, read_json

# figure names in the order a reader wants them (a name not listed comes after, by name)
RUN_ORDER = ("coverage", "error_map", "precision_recall", "calibration", "confusion_matrix",
             "training_loss", "training_", "per_label_bars")
COMPARISON = "comparison"
WIDE = ("error_map", "coverage", "error_cdf")  # figures with detail worth a wider image


def _where(plot_id: str) -> tuple[str, str] | None:
    """("comparison", dataset) or ("run", run) for a declared plot path, None for anything else."""
    parts = PurePosixPath(plot_id).parts
    if len(parts) >= 3 and parts[:2] == ("reports", "comparison"):
        stem = PurePosixPath(plot_id).stem
        return (COMPARISON, stem.rsplit("_", 1)[-1]) if "_" in stem else None
    if len(parts) >= 4 and parts[:2] == ("reports", "plots"):
        return ("run", parts[2])
    return None


def dataset_of(run: str) -> str:
    """The run's data set from its evaluation details, else the name's first word."""
    details = paths.details_file(run)
    if details.exists():
        dataset = read_json(details).get("dataset")
        if isinstance(dataset, str):
            return dataset
    return run.split("-", 1)[0]


def _rank(plot_id: str) -> tuple[int, str]:
    stem = PurePosixPath(plot_id).stem
    for i, prefix in enumerate(RUN_ORDER):
        if stem.startswith(prefix):
            return i, stem
    return len(RUN_ORDER), stem


def _comparison_rank(plot_id: str) -> tuple[bool, str]:
    """Error CDFs first, then the other comparisons (coverage), by name."""
    return not PurePosixPath(plot_id).stem.startswith("error_cdf"), plot_id


def _titled(plot_id: str, spec: dict) -> dict:
    """A training curve's chart titled by its metric instead of its file path."""
    stem = PurePosixPath(plot_id).stem
    if not stem.startswith("training_"):
        return spec
    title = f"{stem.removeprefix('training_')}: train (solid) and validation (dashed), by epoch"
    old = spec.get("title")
    return {**spec, "title": {**old, "text": title} if isinstance(old, dict) else title}


def _anchor(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class _Page:
    """Accumulates HTML for the plots in order; every Vega chart gets its own div and script."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir, self.parts, self.charts = out_dir, [], 0

    def plot(self, plot_id: str, entries: list[dict]) -> None:
        wide = PurePosixPath(plot_id).stem.startswith(WIDE)
        self.parts.append(f'<figure{" class=wide" if wide else ""}><figcaption>'
                          f'{html.escape(PurePosixPath(plot_id).name)}</figcaption>')
        for entry in entries:
            revs = ", ".join(entry.get("revisions", []))
            if entry.get("type") == "image":
                url = entry["url"]
                if os.path.isabs(url):
                    url = os.path.relpath(url, self.out_dir)
                caption = f"<div class='rev'>{html.escape(revs)}</div>" if len(entries) > 1 else ""
                self.parts.append(f'{caption}<img src="{html.escape(url)}" alt="{html.escape(plot_id)}">')
            elif entry.get("type") == "vega":
                self.charts += 1
                spec = json.dumps(_titled(plot_id, entry["content"])).replace("</", "<\\/")
                self.parts.append(f'<div id="chart{self.charts}"></div><script>vegaEmbed("#chart{self.charts}", '
                                  f'{spec}, {{"actions": false}});</script>')
        self.parts.append("</figure>")

    def heading(self, level: int, text: str, extra: str = "") -> None:
        self.parts.append(f'<h{level} id="{_anchor(text)}">{html.escape(text)}{extra}</h{level}>')


def build_page(plots: dict[str, list[dict]], out_dir: Path) -> str:
    """The grouped HTML body for DVC's `--json` plot data ({plot id: [entries]})."""
    groups: dict[str, dict] = {}
    other = []
    for plot_id in sorted(plots):
        where = _where(plot_id)
        if where is None:
            other.append(plot_id)
            continue
        kind, name = where
        dataset = name if kind == COMPARISON else dataset_of(name)
        group = groups.setdefault(dataset, {"comparison": [], "runs": {}})
        if kind == COMPARISON:
            group["comparison"].append(plot_id)
        else:
            group["runs"].setdefault(name, []).append(plot_id)
    page = _Page(out_dir)
    toc = []
    for dataset in sorted(groups):
        runs = sorted(groups[dataset]["runs"])
        toc.append(f'<li><a href="#{_anchor(dataset)}">{html.escape(dataset)}</a>: '
                   + ", ".join(f'<a href="#{_anchor(r)}">{html.escape(r)}</a>' for r in runs) + "</li>")
    page.parts.append("<h1>tweetgeo plots</h1><ul class='toc'>" + "".join(toc) + "</ul>")
    for dataset in sorted(groups):
        group = groups[dataset]
        page.heading(2, dataset)
        if group["comparison"]:
            page.parts.append("<h3>All runs compared</h3><div class='row'>")
            for plot_id in sorted(group["comparison"], key=_comparison_rank):
                page.plot(plot_id, plots[plot_id])
            page.parts.append("</div>")
        for run in sorted(group["runs"]):
            link = ""
            web_map = paths.web_map(run)
            if web_map.exists():
                href = os.path.relpath(web_map.resolve(), Path(out_dir).resolve())
                link = f' <a class="map" href="{html.escape(href)}">interactive map</a>'
            page.heading(3, run, link)
            page.parts.append("<div class='row'>")
            for plot_id in sorted(group["runs"][run], key=_rank):
                page.plot(plot_id, plots[plot_id])
            page.parts.append("</div>")
    if other:
        page.heading(2, "other plots")
        page.parts.append("<div class='row'>")
        for plot_id in other:
            page.plot(plot_id, plots[plot_id])
        page.parts.append("</div>")
    return "\n".join(page.parts)


STYLE = """<style>
h2 { border-bottom: 2px solid #444; margin-top: 2em; }
h3 { margin-bottom: 0.3em; } h3 a.map { font-size: 0.75em; font-weight: normal; margin-left: 1em; }
.row { display: flex; flex-wrap: wrap; align-items: flex-start; gap: 12px; }
figure { margin: 0; border: 1px solid #ccc; padding: 4px; }
figure img { max-width: 620px; }
figure.wide img { max-width: 1080px; }
figcaption, .rev { font-size: 0.8em; color: #555; }
</style>"""


def write_page(dvc_json: Path, template: Path, output: Path) -> None:
    """Read `dvc plots show --json` output, write the grouped page through the template."""
    data = read_json(dvc_json)
    plots = data.get("data", data)
    body = build_page(plots, Path(output).parent)
    text = template.read_text(encoding="utf-8")
    text = text.replace("{refresh_tag}", "").replace("</head>", STYLE + "\n</head>", 1)
    text = text.replace("{plot_divs}", body)
    with atomic_path(output) as tmp:
        tmp.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tweetgeo.plots_page", description=__doc__.split("\n")[0])
    parser.add_argument("dvc_json", type=Path, help="output of `dvc plots show --json -o DIR`")
    parser.add_argument("--template", type=Path, default=Path("plots/template.html"))
    parser.add_argument("-o", "--output", type=Path, required=True, help="the page (index.html beside the images)")
    args = parser.parse_args(argv)
    write_page(args.dvc_json, args.template, args.output)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
