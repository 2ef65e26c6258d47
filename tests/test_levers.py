"""The `levers` stage: each cleaning variant retrained and scored on validation, the choice among them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from tweetgeo import schema
from tweetgeo.config import Params, load_params
from tweetgeo.levers import CHOSEN, measure, variants

ROOT = Path(__file__).resolve().parents[1]


def test_the_data_sets_choice_is_a_row_and_equal_variants_are_not_trained_twice():
    params = load_params(ROOT / "params.yaml")
    disaster = variants(params, "disaster")  # disaster's choice is one variant: keep everything but URLs
    assert f"{CHOSEN} = keep everything but URLs" in disaster  # named once, in that variant's place
    assert len(disaster) == 4
    geotext = variants(params, "geotext")  # geotext overrides it: five rows
    assert list(geotext)[0] == CHOSEN and len(geotext) == 5
    assert geotext[CHOSEN].mentions == "keep"


def _frame(task: str, n: int = 160) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    words = np.array(["fire", "flood", "cat", "sunny", "@nyc", "@la", "bridge", "storm"])
    split = np.where(np.arange(n) % 5 == 0, "validation", "train")
    side = np.arange(n) % 2
    texts = [" ".join(rng.choice(words[s * 4:(s + 1) * 4], 5)) for s in side]
    frame = pd.DataFrame({schema.ID: [str(i) for i in range(n)], schema.RAW_TEXT: texts, schema.SPLIT: split})
    if task == "disaster":
        frame[schema.TARGET] = side
    else:
        frame["lat"] = np.where(side, 40.7, 34.0) + rng.normal(0, 0.01, n)
        frame["lon"] = np.where(side, -74.0, -118.2) + rng.normal(0, 0.01, n)
    return frame


def test_measure_scores_each_variant_on_validation_rows_only():
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    raw["datasets"]["geotext"]["labels"] = {"kdtree": {"bucket_size": 20}}
    params = Params(**raw)
    result = measure(params, "disaster", _frame("disaster"))
    assert result["validation_rows"] == 32 and result["train_rows"] == 128
    assert [row["metrics"]["f1"] > 0.9 for row in result["rows"]] == [True] * len(result["rows"])
    geo = measure(params, "geotext", _frame("geo"))
    by_name = {row["variant"]: row["metrics"] for row in geo["rows"]}
    # mentions carry the signal only when kept: dropping them costs accuracy on this fixture
    assert by_name["keep mentions"]["acc_at_161"] >= by_name[
        "section default (S2/S3: drop mentions, stop words, numbers)"]["acc_at_161"]
    assert all(0 <= m["acc_at_161"] <= 1 for m in by_name.values())
