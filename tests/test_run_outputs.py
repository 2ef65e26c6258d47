"""What a person gets from a run: MODEL_CARD.md, the figures per task and the offline map."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

from fixture_project import ROOT, chdir, project_copy
from tweetgeo import evaluate, paths, webmap
from tweetgeo.config import load_params
from tweetgeo.geo import haversine_km
from tweetgeo.io import read_json
from tweetgeo.model_card_text import model_card_text
from tweetgeo.report import write_report
from tweetgeo.runspec import resolve_run

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
URL = re.compile(r"https?://|//cdn|\bsrc\s*=\s*[\"'](?!data:)", re.IGNORECASE)


def _png(path: Path) -> bool:
    return path.is_file() and path.read_bytes()[:8] == PNG_MAGIC and path.stat().st_size > 2_000


def test_disaster_run_writes_its_model_card_and_figures(tmp_path: Path) -> None:
    from tweetgeo.train import train_run

    project = project_copy(tmp_path / "p")
    with chdir(project):
        spec = resolve_run(load_params("params.yaml"), "tiny-tfidf")
        out = train_run(spec)
        result = evaluate.evaluate_run(spec, bootstrap=0)
        card = paths.model_card_text(out).read_text(encoding="utf-8")
        summary = read_json(paths.train_summary(out))
        write_report(load_params("params.yaml"))  # the comparison: every evaluated run's curve
        report = paths.report_file().read_text(encoding="utf-8")
        assert _png(paths.comparison_dir() / "precision_recall_disaster.png")
        assert "![precision_recall_disaster](comparison/precision_recall_disaster.png)" in report
        figures = {p.name for p in paths.plots_dir("tiny-tfidf").iterdir()}
        assert all(_png(paths.plots_dir("tiny-tfidf") / name) for name in figures)
        assert not paths.web_map("tiny-tfidf").exists()  # maps are for geo runs
        log = sorted(p.name for p in paths.training_log_dir("tiny-tfidf").iterdir())
        note = (paths.training_log_dir("tiny-tfidf") / "README.md").read_text(encoding="utf-8")
    assert log == ["README.md"]  # no per-epoch curves: a note, never an empty folder git would drop
    assert "no per-epoch curves" in note and "tfidf" in note
    assert figures == {"precision_recall.png", "calibration.png", "confusion_matrix.png"}
    assert card.startswith("# Model card: tiny-tfidf\n")
    for heading in ("## Data it saw", "## Measured error", "## Intended use", "## Misuse to avoid"):
        assert heading in card
    assert f"training: {summary['train_rows']:,} rows; validation: {summary['validation_rows']:,} rows" in card
    # the card's validation figure is the one evaluate measures on the same rows (no bootstrap: the same value)
    assert f"- accuracy: {result['validation']['accuracy']['value']:.3f}" in card
    assert "disaster" in card and "human" in card


def test_geo_model_card_names_the_privacy_risk() -> None:
    spec = resolve_run(load_params(ROOT / "params.yaml"), "geotext-att-mtl-kdtree")
    text = model_card_text(spec, 31, {"train": 1515, "validation": 190, "test": 190},
                           {"epochs_run": 9, "best_epoch": 6, "parameters": 12_345},
                           {"median_km": {"value": 512.3}, "acc_at_161": 0.31, "accuracy": {"value": 0.2}})
    assert "one of 31 places" in text and "training: 1,515 rows" in text and "test: 190 rows" in text
    assert "- median error: 512 km" in text and "(Acc@161): 31.0%" in text and "label accuracy: 20.0%" in text
    assert "- epochs run: 9, best epoch 6" in text and "parameters: 12,345" in text
    assert "infers where people are" in text and "locate, track or profile an individual" in text
    assert "reports/plots/geotext-att-mtl-kdtree/coverage.png" in text


def _geo_table(n: int, rng: np.random.Generator) -> pd.DataFrame:
    true = np.column_stack([rng.uniform(26, 48, n), rng.uniform(-120, -72, n)])
    label = rng.integers(0, 6, n)
    centres = np.column_stack([np.linspace(30, 45, 6), np.linspace(-118, -75, 6)])
    table = pd.DataFrame({"id": [f"u{i}" for i in range(n)], "true_label": rng.integers(0, 6, n),
                          "true_lat": true[:, 0], "true_lon": true[:, 1], "label": label,
                          "name": [f"City <{k}> & co" for k in label], "confidence": rng.random(n).round(4),
                          "lat": centres[label, 0], "lon": centres[label, 1]})
    table["error_km"] = haversine_km(table["true_lat"], table["true_lon"], table["lat"], table["lon"])
    return table


def test_geo_figures_coverage_curves_and_offline_map(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    table = _geo_table(300, rng)
    predictor = SimpleNamespace(points=pd.DataFrame({"name": [f"City <{k}> & co" for k in range(6)]}),
                                model_dir=Path("models/geo-run"))  # where history.csv is written below
    with chdir(tmp_path):
        history = paths.history(paths.model_dir("geo-run"))
        history.parent.mkdir(parents=True)
        pd.DataFrame({"epoch": [1, 2], "loss": [3.0, 2.0], "val_loss": [3.5, 2.9]}).to_csv(history, index=False)
        evaluate._write_plots("geo-run", "geo", predictor, {"test": table})
        out = paths.plots_dir("geo-run")
        names = {p.name for p in out.iterdir()}
        assert names == {"training_loss.tsv", "coverage.png", "error_map.png", "confusion_matrix.png",
                         "per_label_bars.png"}  # per_label.csv is a table, not a plot: beside the predictions
        assert all(_png(out / n) for n in names if n.endswith(".png"))
        assert paths.per_label_table("geo-run").exists()
        page = paths.web_map("geo-run").read_text(encoding="utf-8")
    assert not URL.search(page), URL.search(page)  # nothing fetched: works offline
    assert page.count('<g class="p">') == len(table)
    assert "City &lt;3&gt; &amp; co" in page and "City <3>" not in page  # names are escaped
    assert "data:image/png;base64," in page and "<script>" in page


def test_web_map_samples_large_tables(tmp_path: Path) -> None:
    table = _geo_table(webmap.SAMPLE + 700, np.random.default_rng(1)).drop(columns=["name", "confidence"])
    webmap.write_error_map_html(table, tmp_path / "map.html", "encoder run")  # no labels: coordinates only
    page = (tmp_path / "map.html").read_text(encoding="utf-8")
    assert page.count('<g class="p">') == webmap.SAMPLE
    assert f"{webmap.SAMPLE:,} of {len(table):,} rows" in page
    assert not URL.search(page)
    assert (tmp_path / "map.html").stat().st_size < 1_500_000
    assert [p.name for p in tmp_path.iterdir()] == ["map.html"]  # written atomically, no temp file left

