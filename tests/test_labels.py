"""Tests of tweetgeo.labels on generated coordinates."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tweetgeo import schema
from tweetgeo.config import KdTreeConfig, LabelsConfig, P2CConfig
from tweetgeo.geo import haversine_km, load_cities
from tweetgeo.labels import (
    NAME_MIN_POPULATION,
    KdTreeLabels,
    build_labels,
    nearest_city_names,
    p2c_labels,
    run_labels_stage,
)

RADIUS_KM = 11.0
CENTRES = np.array([[51.5, -0.1], [48.9, 2.35], [40.7, -74.0], [35.7, 139.7], [-33.9, 151.2],
                    [19.4, -99.1], [-23.5, -46.6], [55.75, 37.6], [51.6, 0.05], [40.75, -73.9]])


def _scatter(rng: np.random.Generator, centres: np.ndarray, n: int, spread_deg: float) -> np.ndarray:
    """n points around randomly chosen centres, jittered by up to spread_deg."""
    pick = centres[rng.integers(0, len(centres), n)]
    return pick + rng.uniform(-spread_deg, spread_deg, (n, 2))


def _pairwise_km(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Brute-force haversine matrix between two [lat, lon] arrays."""
    return haversine_km(a[:, :1], a[:, 1:], b[None, :, 0], b[None, :, 1])


def _table(latlon: np.ndarray, split: list[str], **extra: object) -> pd.DataFrame:
    """A minimal canonical table."""
    n = len(latlon)
    return pd.DataFrame({schema.ID: [f"r{i}" for i in range(n)], schema.TEXT: "t", schema.LAT: latlon[:, 0],
                         schema.LON: latlon[:, 1], schema.SPLIT: split, **extra})


# --------------------------------------------------------------------------- k-d tree
def test_kdtree_buckets_respect_size_and_cover_each_point_once() -> None:
    rng = np.random.default_rng(1)
    xy = np.column_stack([rng.uniform(-60, 70, 2000), rng.uniform(-170, 170, 2000)])
    tree = KdTreeLabels.fit(xy, bucket_size=37)
    counts = np.bincount(tree.train_labels)
    assert len(tree.train_labels) == len(xy)
    assert np.array_equal(counts, tree.points["n_train"].to_numpy())
    assert counts.max() <= 37 and counts.min() >= 1
    assert tree.oversized == 0
    assert np.array_equal(tree.assign(xy), tree.train_labels)


def test_kdtree_prediction_point_is_bucket_median() -> None:
    rng = np.random.default_rng(2)
    xy = np.column_stack([rng.uniform(0, 10, 500), rng.uniform(0, 40, 500)])
    tree = KdTreeLabels.fit(xy, bucket_size=50)
    for label in (0, len(tree.points) - 1):
        mine = xy[tree.train_labels == label]
        row = tree.points.iloc[label]
        assert (row["lat"], row["lon"]) == (np.median(mine[:, 0]), np.median(mine[:, 1]))


def test_kdtree_terminates_on_identical_points() -> None:
    rng = np.random.default_rng(3)
    distinct = np.column_stack([rng.uniform(0, 50, 300), rng.uniform(0, 50, 300)])
    xy = np.vstack([np.tile([[10.0, 20.0]], (1000, 1)), distinct, np.tile([[30.0, 5.0]], (40, 1))])
    tree = KdTreeLabels.fit(xy, bucket_size=25)
    assert tree.oversized == 2  # the 1000 and the 40 identical points each stay in one bucket
    assert len(np.unique(tree.train_labels[:1000])) == 1
    assert np.bincount(tree.train_labels).max() == 1000
    assert np.array_equal(tree.assign(xy), tree.train_labels)


def test_kdtree_assigns_unseen_points_to_their_region() -> None:
    rng = np.random.default_rng(4)
    xy = np.column_stack([rng.uniform(-50, 50, 800), rng.uniform(-100, 100, 800)])
    tree = KdTreeLabels.fit(xy, bucket_size=40)
    new = np.array([[89.0, 179.0], [-89.0, -179.0], [0.0, 0.0]])
    labels = tree.assign(new)
    assert ((labels >= 0) & (labels < len(tree.points))).all()
    same = tree.assign(xy[:5] + 1e-9)  # a hair away from a training point: mostly the same bucket
    assert (same == tree.train_labels[:5]).sum() >= 4


# --------------------------------------------------------------------------- Point2City
@pytest.fixture(scope="module")
def big_cities() -> pd.DataFrame:
    """GeoNames cities of >= 100,000 people."""
    return load_cities(100000)


def test_p2c_centroids_apart_and_named_after_nearest_city(big_cities: pd.DataFrame) -> None:
    rng = np.random.default_rng(5)
    xy = np.vstack([_scatter(rng, CENTRES, 1500, 0.15), _scatter(rng, CENTRES[:3], 200, 0.0)])
    result = p2c_labels(xy, RADIUS_KM, big_cities)
    centroids = result.clusters[["lat", "lon"]].to_numpy()
    dist = _pairwise_km(centroids, centroids)
    np.fill_diagonal(dist, np.inf)
    assert dist.min() >= RADIUS_KM
    brute = _pairwise_km(centroids, big_cities[["lat", "lon"]].to_numpy()).argmin(axis=1)
    named = result.points.iloc[result.clusters["label"]]
    assert np.allclose(named[["lat", "lon"]].to_numpy(), big_cities.iloc[brute][["lat", "lon"]].to_numpy())
    assert result.points["n_train"].sum() == len(xy) == result.clusters["n_train"].sum()
    assert np.array_equal(np.bincount(result.train_labels), result.points["n_train"].to_numpy())


def test_p2c_links_points_within_radius(big_cities: pd.DataFrame) -> None:
    rng = np.random.default_rng(6)
    xy = _scatter(rng, CENTRES, 400, 0.3)
    result = p2c_labels(xy, RADIUS_KM, big_cities)
    close = _pairwise_km(xy, xy) < RADIUS_KM * 0.999
    i, j = np.nonzero(close)
    assert np.array_equal(result.train_labels[i], result.train_labels[j])


def test_p2c_assign_gives_nearest_label_point(big_cities: pd.DataFrame) -> None:
    rng = np.random.default_rng(7)
    result = p2c_labels(_scatter(rng, CENTRES, 300, 0.1), RADIUS_KM, big_cities)
    query = np.column_stack([rng.uniform(-60, 60, 100), rng.uniform(-180, 180, 100)])
    brute = _pairwise_km(query, result.points[["lat", "lon"]].to_numpy()).argmin(axis=1)
    assert np.array_equal(result.assign(query), result.points["label"].to_numpy()[brute])


# --------------------------------------------------------------------------- build_labels
def _geo_table(rng: np.random.Generator, n: int = 600) -> pd.DataFrame:
    """Canonical geo rows with an 80/10/10 split and a region per centre."""
    pick = rng.integers(0, len(CENTRES), n)
    xy = CENTRES[pick] + rng.uniform(-0.1, 0.1, (n, 2))
    split = rng.choice(list(schema.SPLITS), n, p=[0.8, 0.1, 0.1]).tolist()
    return _table(xy, split, **{schema.REGION: pd.array(pick, dtype="Int64")})


CFG = LabelsConfig(kdtree=KdTreeConfig(bucket_size=30), p2c=P2CConfig(radius_km=RADIUS_KM, min_population=100000))


@pytest.mark.parametrize("scheme", ["kdtree", "p2c", "region"])
def test_build_labels_covers_all_rows_and_fits_on_train_only(scheme: str) -> None:
    df = _geo_table(np.random.default_rng(8))
    assignments, points, stats = build_labels(df, scheme, CFG)
    assert list(assignments.columns) == ["id", "label"] and assignments["label"].dtype == np.int64
    assert assignments["id"].tolist() == df["id"].tolist()
    assert assignments["label"].between(0, len(points) - 1).all()
    n_train = int((df["split"] == "train").sum())
    assert points["n_train"].sum() == n_train
    moved = df.copy()
    held_out = moved["split"] != "train"
    moved.loc[held_out, ["lat", "lon"]] = [-45.0, 170.0]  # changing held-out rows must not change the fit
    _, points_moved, _ = build_labels(moved, scheme, CFG)
    pd.testing.assert_frame_equal(points, points_moved)
    assert stats["n_labels"] == len(points)
    assert stats["splits"]["validation"]["unseen_label_share"] == 0.0
    assert stats["splits"]["train"]["mean_km"] >= stats["splits"]["train"]["median_km"] >= 0
    json.dumps(stats, allow_nan=False)


def test_nearest_city_names_city_and_country_repeats_numbered() -> None:
    cities = load_cities(100000)
    near_paris, near_tokyo = [48.86, 2.35], [35.69, 139.69]
    names = nearest_city_names(np.array([near_paris, near_tokyo, near_paris]), cities)
    assert names == ["Paris, FR", "Tokyo, JP", "Paris, FR #2"]
    assert nearest_city_names(np.zeros((0, 2)), cities) == []


def test_build_labels_kdtree_names_buckets_by_nearest_city() -> None:
    _, points, _ = build_labels(_geo_table(np.random.default_rng(8)), "kdtree", CFG)
    assert points["name"].is_unique
    assert not points["name"].str.startswith("kd").any()
    cities = load_cities(NAME_MIN_POPULATION)
    nearest = cities.iloc[_pairwise_km(points[["lat", "lon"]].to_numpy(),
                                       cities[["lat", "lon"]].to_numpy()).argmin(axis=1)]  # brute force
    expected = [f"{c.name}, {c.countrycode}" for c in nearest.itertuples()]
    assert points["name"].str.split(" #").str[0].tolist() == expected
    assert any(c.countrycode == "GB" for c in nearest.itertuples())  # the London centre's buckets
    assert points["name"].str.match(r"^.+, [A-Z]{2}( #\d+)?$").all()


def test_build_labels_p2c_names_only_qualifying_cities() -> None:
    _, points, _ = build_labels(_geo_table(np.random.default_rng(9)), "p2c", CFG)
    big = load_cities(100000)
    keys = set(zip(big["lat"], big["lon"]))
    assert all((lat, lon) in keys for lat, lon in zip(points["lat"], points["lon"]))


def test_build_labels_region_unseen_and_missing() -> None:
    df = _geo_table(np.random.default_rng(10))
    df.loc[df.index[df["split"] == "test"][:3], schema.REGION] = 99  # never seen in training
    df.loc[df.index[df["split"] == "validation"][:2], schema.REGION] = pd.NA
    assignments, _, stats = build_labels(df, "region", CFG)
    assert (assignments["label"][df[schema.REGION].isna()] == -1).all()
    assert (assignments["label"][df[schema.REGION] == 99] == -1).all()
    assert stats["splits"]["test"]["unseen_label_share"] > 0
    assert stats["splits"]["validation"]["n_labelled"] == stats["splits"]["validation"]["n"] - 2


def test_build_labels_target() -> None:
    df = _table(np.full((6, 2), np.nan), ["train"] * 4 + ["test"] * 2,
                **{schema.TARGET: pd.array([0, 1, 1, 0, None, None], dtype="Int64")})
    assignments, points, stats = build_labels(df, "target", CFG)
    assert assignments["label"].tolist() == [0, 1, 1, 0, -1, -1]
    assert points.empty and stats["n_labels"] == 2
    assert stats["splits"]["test"]["unseen_label_share"] is None


def test_build_labels_errors_are_clear() -> None:
    df = _geo_table(np.random.default_rng(11))
    with pytest.raises(ValueError, match="unknown label scheme"):
        build_labels(df, "kmeans", CFG)
    with pytest.raises(ValueError, match="no training rows"):
        build_labels(df.assign(split="test"), "kdtree", CFG)
    with pytest.raises(ValueError, match="target"):
        build_labels(df, "target", CFG)


def test_run_labels_stage_writes_every_output(tmp_path: Path) -> None:
    df = _geo_table(np.random.default_rng(12), n=200)
    df[schema.TARGET] = pd.array(np.arange(len(df)) % 2, dtype="Int64")
    run_labels_stage(df, "toy", ["kdtree", "region", "target"], CFG, tmp_path / "labels", tmp_path / "reports")
    for scheme in ("kdtree", "region", "target"):
        assert len(pd.read_parquet(tmp_path / "labels" / f"{scheme}.parquet")) == len(df)
        points = pd.read_csv(tmp_path / "labels" / f"{scheme}_points.csv")
        assert list(points.columns) == ["label", "lat", "lon", "name", "n_train"]
        assert points.empty == (scheme == "target")
        assert json.loads((tmp_path / "reports" / f"toy-{scheme}.json").read_text())["scheme"] == scheme
        assert (tmp_path / "reports" / f"toy-{scheme}.png").read_bytes()[:4] == b"\x89PNG"
    leftovers = [p.name for p in tmp_path.rglob(".*")]
    assert leftovers == []
