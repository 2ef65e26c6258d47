"""The cleaning levers of `tweetgeo.levers` (the pipeline's `levers` stage), plus Kaggle's keyword
column as a leading token — a lever that needs the raw train.csv, so it stays out of the pipeline.

Prints one line per variant, scored by the yardstick on VALIDATION only (docs/levers.md quotes it).
Needs `dvc repro clean` first. Usage:

    python experiments/cleaning_levers.py disaster
    python experiments/cleaning_levers.py geotext
"""

from __future__ import annotations

import argparse

import pandas as pd

from tweetgeo import paths, schema
from tweetgeo.config import load_params
from tweetgeo.levers import measure, score_binary
from tweetgeo.text import TextCleaner


def keyword_lever(params, frame: pd.DataFrame) -> dict[str, float]:
    """The disaster yardstick with `kw_<keyword>` prepended to each cleaned tweet."""
    raw = pd.read_csv(params.datasets["disaster"].files["all"], usecols=["id", "keyword"], dtype=str)
    keyword = dict(zip(raw["id"], raw["keyword"].fillna("").str.replace("%20", "_")))
    cleaner = TextCleaner(params.clean_for("disaster"))
    parts = [frame[(frame[schema.SPLIT] == s) & frame[schema.TARGET].notna()] for s in ("train", "validation")]
    texts = [[f"kw_{keyword.get(i, '')} {t}"
              for i, t in zip(p[schema.ID], cleaner.clean_many(p[schema.RAW_TEXT].tolist()))] for p in parts]
    return score_binary(params, "disaster", texts[0], parts[0][schema.TARGET].astype(int).to_numpy(),
                        texts[1], parts[1][schema.TARGET].astype(int).to_numpy())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", choices=["disaster", "geotext"])
    args = parser.parse_args()
    params = load_params()
    frame = pd.read_parquet(paths.clean(args.dataset))
    result = measure(params, args.dataset, frame)
    print(f"{args.dataset}: {result['train_rows']} train, {result['validation_rows']} validation rows")
    for row in result["rows"]:
        print(f"  {row['variant']:70s} {row['metrics']}", flush=True)
    if args.dataset == "disaster":
        print(f"  {'this data set choice + Kaggle keyword token':70s} {keyword_lever(params, frame)}")


if __name__ == "__main__":
    main()
