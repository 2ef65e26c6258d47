"""MODEL_CARD.md: the model card for people, written into every trained run directory.

What the model is for, the data it saw (with row counts), its error measured on the validation
split right after training (by the same code as `tweetgeo predict`), intended use and the misuse
to avoid. card.json (tweetgeo.modelcard) is the machine-readable twin that predict loads.
"""

from __future__ import annotations

from pathlib import Path

from tweetgeo import __version__, paths
from tweetgeo.io import atomic_path
from tweetgeo.runspec import RunSpec

SOURCES = {  # data/raw/SOURCES.md has provenance and licences
    "yachay": "Yachay.ai \"Regions\": geotagged tweets from around the world, one tweet per row",
    "geotext": "GeoText (Eisenstein et al. 2010): US Twitter users, all of a user's tweets as one document, "
               "each user at the coordinates GeoText gives",
    "disaster": "Kaggle \"Natural Language Processing with Disaster Tweets\": English tweets labelled "
                "by hand as about a real disaster (1) or not (0)",
}
LABELS = {"kdtree": "k-d tree regions, each with about the same number of training points",
          "p2c": "Point2City: cities of ≥ 15,000 people (GeoNames) and regions",
          "region": "the data set's own regions", "target": "the disaster target (0/1)"}
GEO_METRICS = (("median_km", "median error", "{:,.0f} km"), ("mean_km", "mean error", "{:,.0f} km"),
               ("acc_at_161", "share within 161 km (Acc@161)", "{:.1%}"),
               ("accuracy", "label accuracy", "{:.1%}"), ("accuracy_top5", "label accuracy, top 5", "{:.1%}"))
BINARY_METRICS = (("accuracy", "accuracy", "{:.3f}"), ("precision", "precision (disaster)", "{:.3f}"),
                  ("recall", "recall (disaster)", "{:.3f}"), ("f1", "F1 (disaster)", "{:.3f}"))

GEO_USE = """## Intended use

- Research on text-based geolocation and comparison with the published systems (`reports/README.md`).
- Coarse, aggregate questions about many public tweets: roughly where a topic, dialect or event is
  discussed, at the scale of regions — expect errors of the size measured above, often hundreds of km.
- Every answer is a guess from wording alone; for label runs, `confidence` and the coverage curve
  (`reports/plots/{run}/coverage.png`) show how much more reliable the most confident answers are.

## Misuse to avoid

This model infers where people are from what they write. Do **not** use it to:
- locate, track or profile an individual or a named account, or guess a person's home or whereabouts;
- reveal the location of people who chose not to share it, or combine its output with other data to
  identify them (doxxing, stalking, harassment, targeted advertising without consent);
- take decisions about people (policing, immigration, employment, credit, insurance) — its errors
  are large and unevenly spread: it knows big, tweet-heavy cities best and rural areas, minority
  languages and dialects worst.

Keep its output at the aggregate level, and treat any single prediction as unreliable."""

BINARY_USE = """## Intended use

- Research and triage: ranking or filtering public tweets for a **human** to review during an
  emergency (which posts likely report a real disaster), and comparison with the published systems.

## Misuse to avoid

- Do not dispatch help, raise alarms or ignore reports on its answer alone: a share of tweets is
  misclassified (see the error above), and missed real reports (false negatives) cost most.
- It learnt from English tweets of one period and its word use; other languages, slang, later events
  and deliberately misleading posts are outside what it has seen.
- Do not use it to judge or profile the people who wrote the tweets."""


def _metric_lines(metrics: dict, table: tuple) -> list[str]:
    lines = []
    for key, label, fmt in table:
        value = metrics.get(key, {})
        value = value.get("value") if isinstance(value, dict) else value
        if value is not None:
            lines.append(f"- {label}: {fmt.format(value)}")
    return lines


def model_card_text(spec: RunSpec, n_labels: int, rows: dict[str, int], summary: dict,
                    validation: dict) -> str:
    """The card. rows: training, validation and test rows; summary: train_summary.json's fields;
    validation: split_metrics of the validation split (values or {value, …} per metric)."""
    geo = spec.task == "geo"
    source = SOURCES.get(spec.dataset, f"the data set `{spec.dataset}`")
    if geo:
        answer = ("coordinates (latitude, longitude) directly" if spec.family.output != "labels" else
                  f"one of {n_labels:,} places ({LABELS.get(spec.labels, spec.labels)}) with its coordinates, "
                  "a confidence and the five most likely places")
        purpose = ("Guesses where a tweet (or a user, from all of their tweets) was written, from its text "
                   f"alone: {answer}.")
    else:
        purpose = ("Says whether a tweet reports a real disaster (1) or not (0), with a probability, "
                   "from its text alone.")
    training = [f"- epochs run: {summary['epochs_run']}" + (f", best epoch {summary['best_epoch']}"
                                                              if summary.get("best_epoch") else "")
                ] if summary.get("epochs_run") else []
    if summary.get("parameters"):
        training.append(f"- parameters: {summary['parameters']:,}")
    if spec.members:  # an ensemble: the mean of its member runs' probabilities, each retrained in it
        training.append("- members (mean of their probabilities; each a run directory under `members/`): "
                        + ", ".join(f"`{m.name}` ({m.model}, {m.features})" for m in spec.members))
    measured = _metric_lines(validation, GEO_METRICS if geo else BINARY_METRICS)
    lines = [
        f"# Model card: {spec.name}", "",
        purpose, "",
        f"Model `{spec.model}` (family `{spec.options.family}`, features `{spec.features}`), trained by "
        f"tweetgeo {__version__}. Use it with `tweetgeo predict --model models/{spec.name}` or "
        "`tweetgeo.predict.Predictor`; `card.json` beside this file holds every setting.", "",
        "## Data it saw", "",
        f"- data set `{spec.dataset}`: {source} (provenance and licence: `data/raw/SOURCES.md`)",
        f"- training: {rows.get('train', 0):,} rows; validation: {rows.get('validation', 0):,} rows "
        "(early stopping and model choice); test: "
        + (f"{rows['test']:,} rows, never seen in training" if rows.get("test") else "none with labels"),
        f"- labels: {LABELS.get(spec.labels, spec.labels)}" + (f", {n_labels:,} of them" if geo else ""),
        f"- text cleaning (predict cleans new text the same way): urls {spec.clean.urls}, mentions "
        f"{spec.clean.mentions}, emoji {spec.clean.emoji}, numbers {spec.clean.numbers}, stop words "
        f"{'removed' if spec.clean.stopwords else 'kept'}",
        *training, "",
        "## Measured error", "",
        f"Validation split ({rows.get('validation', 0):,} rows), measured right after training by the "
        "same code as `tweetgeo predict`:", "",
        *(measured or ["- (no labelled validation rows)"]), "",
        f"Test-split figures with 95% bootstrap intervals: `reports/metrics/{spec.name}.json` and "
        f"`reports/details/{spec.name}.json`; the comparison with other runs and the published systems: "
        "`reports/README.md`.", "",
        GEO_USE.format(run=spec.name) if geo else BINARY_USE, "",
    ]
    return "\n".join(lines)


def write_model_card_text(spec: RunSpec, n_labels: int, rows: dict[str, int], summary: dict,
                          validation: dict, model_dir: Path) -> Path:
    path = paths.model_card_text(model_dir)
    with atomic_path(path) as tmp:
        tmp.write_text(model_card_text(spec, n_labels, rows, summary, validation), encoding="utf-8")
    return path
