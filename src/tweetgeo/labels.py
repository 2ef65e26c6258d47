"""Discretising coordinates into class labels: k-d tree, Point2City, region, target.

Every geo scheme yields a *points* table (one row per label: label, lat, lon,
name, n_train) whose coordinates are the label's prediction point, and an
assignment of every row of the data set to a label (-1: no label — the row has
no value to label from, or its label never occurs in training).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy.sparse.csgraph import connected_components
from sklearn.neighbors import radius_neighbors_graph

from tweetgeo import schema
from tweetgeo.config import LabelsConfig
from tweetgeo.geo import EARTH_RADIUS_KM, as_latlon, haversine_km, load_cities, nearest_points
from tweetgeo.io import atomic_path, write_csv, write_figure, write_json, write_parquet

LABEL = "label"
POINT_COLUMNS = (LABEL, schema.LAT, schema.LON, "name", "n_train")
SCHEMES = ("kdtree", "p2c", "region", "target")
NO_LABEL = -1
BACKGROUND_MIN_POPULATION = 15000  # GeoNames cities drawn as the map's faint outline
NAME_MIN_POPULATION = 15000  # k-d buckets are named after the nearest GeoNames city this large


def _points_table(lat: np.ndarray, lon: np.ndarray, names: list[str], n_train: np.ndarray) -> pd.DataFrame:
    """A points table with labels 0..n-1 in the given order."""
    return pd.DataFrame({LABEL: np.arange(len(lat), dtype=np.int64), schema.LAT: lat, schema.LON: lon,
                         "name": pd.Series(names, dtype=object), "n_train": np.asarray(n_train, dtype=np.int64)})


def nearest_city_names(latlon: np.ndarray, cities: pd.DataFrame) -> list[str]:
    """'City, CC' of the nearest city to each point (BallTree, haversine); repeats get ' #2', ' #3'…"""
    if len(latlon) == 0:
        return []
    _, idx = nearest_points(latlon, cities[["lat", "lon"]].to_numpy())
    names, seen = [], {}
    for row in cities.iloc[idx[:, 0]].itertuples():
        name = f"{row.name}, {row.countrycode}"
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name} #{seen[name]}")
    return names


# --------------------------------------------------------------------------- k-d tree
def _median_split(values: np.ndarray) -> float:
    """Threshold t splitting distinct values into (< t, >= t) as near the median as ties allow."""
    s = np.sort(values)
    n, m = len(s), s[len(s) // 2]
    cuts = [c for c in (np.searchsorted(s, m, "left"), np.searchsorted(s, m, "right")) if 0 < c < n]
    cut = min(cuts, key=lambda c: abs(c - n / 2))
    lo, hi = s[cut - 1], s[cut]
    mid = (lo + hi) / 2
    return float(mid if lo < mid <= hi else hi)


@dataclass(frozen=True)
class KdTreeLabels:
    """k-d tree areas (Rahimi et al. 2017): median splits of the wider dimension into buckets."""

    split_dim: np.ndarray  # per node: 0 lat, 1 lon, -1 leaf
    threshold: np.ndarray  # per node: points with value < threshold go to the left child
    children: np.ndarray  # per node: (left, right) node ids
    leaf_label: np.ndarray  # per node: the leaf's label, -1 for inner nodes
    points: pd.DataFrame  # one row per bucket: median training lat/lon
    train_labels: np.ndarray  # the bucket of each training point, in fit order
    oversized: int  # buckets above bucket_size: all their points share one coordinate

    @classmethod
    def fit(cls, latlon: np.ndarray, bucket_size: int) -> KdTreeLabels:
        """Split training points until each bucket holds <= bucket_size points (or identical ones)."""
        # A hand-written recursive median split: no library exposes k-d tree leaves as labels
        # (sklearn's KDTree hides its leaves' ids).
        xy = as_latlon(latlon)
        if len(xy) == 0 or bucket_size < 1:
            raise ValueError("k-d tree needs at least one training point and bucket_size >= 1")
        dims, thresholds, children, leaf_of_node = [-1], [np.nan], [(-1, -1)], [-1]
        train_labels = np.empty(len(xy), dtype=np.int64)
        leaves: list[np.ndarray] = []
        stack = [(0, np.arange(len(xy)))]
        while stack:  # explicit stack: identical-point pile-ups can make the tree deep
            node, idx = stack.pop()
            ranges = np.ptp(xy[idx], axis=0)
            dim = int(np.argmax(ranges))
            if len(idx) <= bucket_size or ranges[dim] == 0:  # small enough, or all points identical
                leaf_of_node[node] = len(leaves)
                train_labels[idx] = len(leaves)
                leaves.append(idx)
                continue
            thr = _median_split(xy[idx, dim])
            left, right = len(dims), len(dims) + 1
            dims[node], thresholds[node], children[node] = dim, thr, (left, right)
            dims += [-1, -1]
            thresholds += [np.nan, np.nan]
            children += [(-1, -1), (-1, -1)]
            leaf_of_node += [-1, -1]
            go_left = xy[idx, dim] < thr
            stack += [(right, idx[~go_left]), (left, idx[go_left])]  # left popped first: DFS order
        points = _points_table(np.array([np.median(xy[i, 0]) for i in leaves]),
                               np.array([np.median(xy[i, 1]) for i in leaves]),
                               [f"kd{j}" for j in range(len(leaves))], [len(i) for i in leaves])
        return cls(np.array(dims, dtype=np.int64), np.array(thresholds), np.array(children, dtype=np.int64),
                   np.array(leaf_of_node, dtype=np.int64), points, train_labels,
                   sum(len(i) > bucket_size for i in leaves))

    def assign(self, latlon: np.ndarray) -> np.ndarray:
        """The bucket each point falls in, following the fitted split thresholds."""
        xy = as_latlon(latlon)
        node = np.zeros(len(xy), dtype=np.int64)
        todo = np.flatnonzero(self.split_dim[node] >= 0)
        while len(todo):
            at = node[todo]
            right = xy[todo, self.split_dim[at]] >= self.threshold[at]
            node[todo] = self.children[at, right.astype(np.int64)]
            todo = todo[self.split_dim[node[todo]] >= 0]
        return self.leaf_label[node]


# --------------------------------------------------------------------------- Point2City
def _to_xyz(latlon: np.ndarray) -> np.ndarray:
    """Unit vectors of [lat, lon] degrees."""
    lat, lon = np.radians(latlon[:, 0]), np.radians(latlon[:, 1])
    return np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


def _weighted_centroids(latlon: np.ndarray, weights: np.ndarray, groups: np.ndarray, n: int) -> np.ndarray:
    """Spherical weighted mean [lat, lon] of each group 0..n-1."""
    xyz = _to_xyz(latlon) * weights[:, None]
    sums = np.column_stack([np.bincount(groups, weights=xyz[:, d], minlength=n) for d in range(3)])
    lat = np.degrees(np.arctan2(sums[:, 2], np.hypot(sums[:, 0], sums[:, 1])))
    return np.column_stack([lat, np.degrees(np.arctan2(sums[:, 1], sums[:, 0]))])


def _linked_components(latlon: np.ndarray, radius_km: float) -> tuple[int, np.ndarray]:
    """Single-linkage groups: connected components of the 'within radius_km' graph."""
    graph = radius_neighbors_graph(np.radians(latlon), radius_km / EARTH_RADIUS_KM, metric="haversine")
    return connected_components(graph, directed=False)


@dataclass(frozen=True)
class P2CLabels:
    """Point2City labels (Fornaciari & Hovy 2019): clusters of training points named by their nearest city."""

    points: pd.DataFrame  # one row per label: the naming city's coordinates
    clusters: pd.DataFrame  # merged cluster centroids before naming: lat, lon, n_train, city_km, label
    train_labels: np.ndarray  # the label of each training point (via its cluster), in fit order

    def assign(self, latlon: np.ndarray) -> np.ndarray:
        """The label whose city is nearest to each point (for validation/test points)."""
        distinct, inverse = np.unique(as_latlon(latlon), axis=0, return_inverse=True)  # place centres repeat
        nearest = nearest_points(distinct, self.points[[schema.LAT, schema.LON]].to_numpy())[1][:, 0]
        return self.points[LABEL].to_numpy()[nearest[inverse.ravel()]]


def p2c_labels(latlon: np.ndarray, radius_km: float, cities: pd.DataFrame) -> P2CLabels:
    """Cluster points within radius_km, merge centroids closer than radius_km, name each by its nearest city."""
    xy = as_latlon(latlon)
    if len(xy) == 0 or cities.empty:
        raise ValueError("Point2City needs at least one training point and one city")
    coords, inverse, counts = np.unique(xy, axis=0, return_inverse=True, return_counts=True)
    n, member = _linked_components(coords, radius_km)  # distinct coordinate -> cluster
    weights = np.bincount(member, weights=counts, minlength=n)
    centroids = _weighted_centroids(coords, counts.astype(np.float64), member, n)
    while True:  # merge centroids until none are within radius_km of each other
        n, group = _linked_components(centroids, radius_km)
        if n == len(centroids):
            break
        centroids = _weighted_centroids(centroids, weights, group, n)
        weights = np.bincount(group, weights=weights, minlength=n)
        member = group[member]
    city_km, city_idx = nearest_points(centroids, cities[["lat", "lon"]].to_numpy())
    used, cluster_label = np.unique(city_idx[:, 0], return_inverse=True)  # same city -> one label
    named = cities.iloc[used]
    points = _points_table(named["lat"].to_numpy(), named["lon"].to_numpy(),
                           [f"{c.name}, {c.countrycode}" for c in named.itertuples()],
                           np.bincount(cluster_label, weights=weights).round())
    clusters = pd.DataFrame({schema.LAT: centroids[:, 0], schema.LON: centroids[:, 1],
                             "n_train": weights.round().astype(np.int64), "city_km": city_km[:, 0],
                             LABEL: cluster_label.astype(np.int64)})
    return P2CLabels(points, clusters, cluster_label[member[inverse.ravel()]].astype(np.int64))


# --------------------------------------------------------------------------- schemes
@dataclass(frozen=True)
class _Scheme:
    """One scheme's result on the whole table."""

    labels: np.ndarray  # per row; -1 where no label
    has_source: np.ndarray  # per row: the value labels come from (coords, region, target) is present
    points: pd.DataFrame
    extra: dict  # scheme-specific statistics


def _require(df: pd.DataFrame, columns: tuple[str, ...], scheme: str) -> None:
    """Fail with a clear message when the table lacks the scheme's columns."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"label scheme {scheme!r} needs column(s) {', '.join(missing)} in the table")


def _coords(df: pd.DataFrame, scheme: str) -> tuple[np.ndarray, np.ndarray]:
    """[lat, lon] of every row (NaN where missing) and the mask of rows that have both."""
    _require(df, (schema.LAT, schema.LON), scheme)
    xy = df[[schema.LAT, schema.LON]].astype("float64").to_numpy()
    return xy, np.isfinite(xy).all(axis=1)


def _fit_rows(is_train: np.ndarray, has: np.ndarray, scheme: str) -> np.ndarray:
    """Training rows to fit on; fail when there are none."""
    rows = is_train & has
    if not rows.any():
        raise ValueError(f"label scheme {scheme!r}: no training rows with the values it needs")
    return rows


def _kdtree_scheme(df: pd.DataFrame, is_train: np.ndarray, cfg: LabelsConfig) -> _Scheme:
    """k-d tree buckets fitted on training coordinates."""
    xy, has = _coords(df, "kdtree")
    tree = KdTreeLabels.fit(xy[_fit_rows(is_train, has, "kdtree")], cfg.kdtree.bucket_size)
    points = tree.points.assign(name=nearest_city_names(tree.points[[schema.LAT, schema.LON]].to_numpy(),
                                                        load_cities(NAME_MIN_POPULATION)))
    labels = np.full(len(df), NO_LABEL, dtype=np.int64)
    labels[has] = tree.assign(xy[has])
    big = tree.points["n_train"] > cfg.kdtree.bucket_size
    extra = {"bucket_size": cfg.kdtree.bucket_size, "oversized_buckets": tree.oversized,
             "points_in_oversized_buckets": int(tree.points.loc[big, "n_train"].sum())}
    return _Scheme(labels, has, points, extra)


def _p2c_scheme(df: pd.DataFrame, is_train: np.ndarray, cfg: LabelsConfig) -> _Scheme:
    """Point2City labels fitted on training coordinates; other rows get the nearest label city."""
    xy, has = _coords(df, "p2c")
    fit = _fit_rows(is_train, has, "p2c")
    p2c = p2c_labels(xy[fit], cfg.p2c.radius_km, load_cities(cfg.p2c.min_population))
    labels = np.full(len(df), NO_LABEL, dtype=np.int64)
    labels[fit] = p2c.train_labels
    held_out = has & ~fit
    if held_out.any():
        labels[held_out] = p2c.assign(xy[held_out])
    extra = {"radius_km": cfg.p2c.radius_km, "min_population": cfg.p2c.min_population,
             "n_clusters": len(p2c.clusters),
             "cluster_to_city_km": {"mean": float(p2c.clusters["city_km"].mean()),
                                    "max": float(p2c.clusters["city_km"].max())}}
    return _Scheme(labels, has, p2c.points, extra)


def _region_scheme(df: pd.DataFrame, is_train: np.ndarray, cfg: LabelsConfig) -> _Scheme:
    """One label per training region; its point is the median training coordinate."""
    _require(df, (schema.REGION,), "region")
    region = df[schema.REGION].astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)
    has = ~np.isnan(region)
    known = pd.Index(np.unique(region[_fit_rows(is_train, has, "region")]))
    labels = known.get_indexer(region).astype(np.int64)  # -1: missing or unseen region
    xy, _ = _coords(df, "region")
    train = pd.DataFrame({LABEL: labels, schema.LAT: xy[:, 0], schema.LON: xy[:, 1]})[is_train & has]
    medians = train.groupby(LABEL)[[schema.LAT, schema.LON]].median().reindex(range(len(known)))
    points = _points_table(medians[schema.LAT].to_numpy(), medians[schema.LON].to_numpy(),
                           [f"region {int(r)}" for r in known], np.bincount(train[LABEL], minlength=len(known)))
    return _Scheme(labels, has, points, {})


def _target_scheme(df: pd.DataFrame, is_train: np.ndarray, cfg: LabelsConfig) -> _Scheme:
    """The binary disaster target as the label; no points."""
    _require(df, (schema.TARGET,), "target")
    target = df[schema.TARGET].astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)
    has = ~np.isnan(target)
    _fit_rows(is_train, has, "target")
    labels = np.where(has, target, NO_LABEL).astype(np.int64)
    return _Scheme(labels, has, pd.DataFrame(columns=list(POINT_COLUMNS)), {})


_SCHEME_BUILDERS: dict[str, Callable[[pd.DataFrame, np.ndarray, LabelsConfig], _Scheme]] = {
    "kdtree": _kdtree_scheme, "p2c": _p2c_scheme, "region": _region_scheme, "target": _target_scheme}


# --------------------------------------------------------------------------- statistics
def _summary(values: np.ndarray) -> dict[str, float | None]:
    """min / median / max of a non-empty array, else None each."""
    if len(values) == 0:
        return {"min": None, "median": None, "max": None}
    return {"min": float(np.min(values)), "median": float(np.median(values)), "max": float(np.max(values))}


def _split_stats(df: pd.DataFrame, result: _Scheme, rows: np.ndarray, seen: np.ndarray) -> dict:
    """Counts, unseen-label share and (geo schemes) error floor of one split's rows."""
    labels, has = result.labels[rows], result.has_source[rows]
    stats = {"n": int(rows.sum()), "n_labelled": int(has.sum()),
             "unseen_label_share": float(np.mean(~np.isin(labels[has], seen))) if has.any() else None}
    if result.points.empty:
        return stats
    xy = df[[schema.LAT, schema.LON]].astype("float64").to_numpy()[rows]
    ok = (labels >= 0) & np.isfinite(xy).all(axis=1)
    target = result.points[[schema.LAT, schema.LON]].to_numpy(dtype=np.float64)[labels[ok]]
    km = haversine_km(xy[ok, 0], xy[ok, 1], target[:, 0], target[:, 1])
    km = km[np.isfinite(km)]  # a region whose training rows lack coordinates has no point
    stats["mean_km"] = float(km.mean()) if len(km) else None
    stats["median_km"] = float(np.median(km)) if len(km) else None
    return stats


def _stats(df: pd.DataFrame, scheme: str, result: _Scheme, is_train: np.ndarray) -> dict:
    """The JSON-serialisable statistics of one scheme."""
    train_labels = result.labels[is_train & (result.labels >= 0)]
    seen = np.unique(train_labels)
    split = df[schema.SPLIT].to_numpy()
    return {"scheme": scheme, "n_labels": int(len(seen)),
            "points_per_label": _summary(np.bincount(train_labels)[seen]),
            "splits": {s: _split_stats(df, result, split == s, seen) for s in schema.SPLITS if (split == s).any()},
            **result.extra}


def build_labels(df: pd.DataFrame, scheme: str, cfg: LabelsConfig) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Fit a label scheme on the train split; return (assignments of all rows, points, stats)."""
    if scheme not in _SCHEME_BUILDERS:
        raise ValueError(f"unknown label scheme {scheme!r} (known: {', '.join(SCHEMES)})")
    _require(df, (schema.ID, schema.SPLIT), scheme)
    is_train = (df[schema.SPLIT] == schema.TRAIN).to_numpy()
    result = _SCHEME_BUILDERS[scheme](df, is_train, cfg)
    assignments = pd.DataFrame({schema.ID: df[schema.ID].to_numpy(), LABEL: result.labels.astype(np.int64)})
    return assignments, result.points, _stats(df, scheme, result, is_train)


# --------------------------------------------------------------------------- plots and files
def plot_label_map(points: pd.DataFrame, path: Path, title: str) -> None:
    """Scatter of label points sized by n_train over a faint outline of GeoNames cities."""
    fig = Figure(figsize=(12, 6.5))
    ax = fig.add_subplot()
    cities = load_cities(BACKGROUND_MIN_POPULATION)
    ax.scatter(cities["lon"], cities["lat"], s=0.6, c="0.65", linewidths=0, rasterized=True)
    sizes = 2 + 80 * np.sqrt(points["n_train"] / max(points["n_train"].max(), 1))
    ax.scatter(points[schema.LON], points[schema.LAT], s=sizes, c="tab:red", alpha=0.5, linewidths=0)
    if len(points):
        lo, hi = points[[schema.LON, schema.LAT]].min() - 5, points[[schema.LON, schema.LAT]].max() + 5
        ax.set_xlim(max(lo.iloc[0], -180), min(hi.iloc[0], 180))
        ax.set_ylim(max(lo.iloc[1], -90), min(hi.iloc[1], 90))
    ax.set_xlabel("longitude (°)")
    ax.set_ylabel("latitude (°)")
    ax.set_title(f"{title} — {len(points)} labels, marker area ∝ √(training points)")
    write_figure(fig, path, dpi=120, bbox_inches="tight", format="png")


def plot_label_counts(assignments: pd.DataFrame, split: pd.Series, path: Path, title: str) -> None:
    """Bar chart of rows per label in each split (schemes without points, e.g. target)."""
    counts = pd.crosstab(assignments[LABEL].to_numpy(), split.to_numpy())
    fig = Figure(figsize=(6, 4))
    ax = fig.add_subplot()
    width = 0.8 / max(len(counts.columns), 1)
    for j, name in enumerate(counts.columns):
        ax.bar(np.arange(len(counts)) + j * width, counts[name], width, label=str(name))
    ax.set_xticks(np.arange(len(counts)) + 0.4 - width / 2, [str(v) for v in counts.index])
    ax.set_xlabel("label (-1: none)")
    ax.set_ylabel("rows")
    ax.set_title(title)
    ax.legend()
    write_figure(fig, path, dpi=120, bbox_inches="tight", format="png")


def run_labels_stage(df: pd.DataFrame, dataset: str, schemes: list[str], cfg: LabelsConfig,
                     out_dir: Path, report_dir: Path) -> None:
    """Build each scheme's labels; write assignments, points, stats JSON and a plot (atomically)."""
    for scheme in schemes:
        assignments, points, stats = build_labels(df, scheme, cfg)
        write_parquet(assignments, out_dir / f"{scheme}.parquet")
        write_csv(points, out_dir / f"{scheme}_points.csv")
        write_json(stats, report_dir / f"{dataset}-{scheme}.json")
        title = f"{dataset}: {scheme} labels"
        with atomic_path(report_dir / f"{dataset}-{scheme}.png") as tmp:
            if points.empty:
                plot_label_counts(assignments, df[schema.SPLIT], tmp, title)
            else:
                plot_label_map(points, tmp, title)
