"""An interactive map of a geo run's predictions: one self-contained HTML page that works offline.

An equirectangular SVG (x = longitude, y = −latitude): a background of GeoNames cities rendered
by matplotlib and inlined as a base64 PNG, then a sample of rows, each a dot at its true place
coloured by its error. Hovering a dot shows the row (id, true and predicted place, error,
confidence) and draws the line to its prediction; the wheel zooms, dragging pans. Everything
(styles, script, background) is inline: no CDN, no request of any kind. No tweet text is shown.
"""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import LogNorm, to_hex
from matplotlib.figure import Figure

from tweetgeo.geo import load_cities
from tweetgeo.io import atomic_path
from tweetgeo.plots import ERROR_KM_RANGE, WORLD, map_extent

SAMPLE = 1_500  # rows drawn (a fixed random sample): the page stays a few hundred kB
CMAP = "RdYlGn_r"


def _background_png(extent: tuple[float, float, float, float], width_px: int) -> str:
    """GeoNames cities as grey dots over extent (lon min, lon max, lat min, lat max), as a base64
    PNG width_px wide and as tall as the extent in equirectangular proportion."""
    lon0, lon1, lat0, lat1 = extent
    cities = load_cities(15000)
    fig = Figure(figsize=(width_px / 100, width_px / 100 * (lat1 - lat0) / (lon1 - lon0)), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.scatter(cities["lon"], cities["lat"], s=1.2 if extent == WORLD else 4, c="0.6", lw=0)
    ax.set(xlim=(lon0, lon1), ylim=(lat0, lat1))
    ax.axis("off")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", facecolor="white")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _backgrounds(extent: tuple[float, float, float, float]) -> str:
    """SVG images: the world, then (when the data's extent is smaller) a sharper layer over it."""
    lon0, lon1, lat0, lat1 = extent
    padded = (max(lon0 - 15, -180), min(lon1 + 15, 180), max(lat0 - 15, -90), min(lat1 + 15, 90))
    layers = [(WORLD, 1440)] + ([(padded, 2400)] if extent != WORLD else [])
    return "\n".join(f'<image x="{box[0]:g}" y="{-box[3]:g}" width="{box[1] - box[0]:g}" height="{box[3] - box[2]:g}" '
                     f'preserveAspectRatio="none" href="data:image/png;base64,{_background_png(box, px)}"/>'
                     for box, px in layers)


def _colours(errors_km: np.ndarray) -> list[str]:
    norm, cmap = LogNorm(*ERROR_KM_RANGE, clip=True), colormaps[CMAP]
    return [to_hex(cmap(norm(max(e, ERROR_KM_RANGE[0])))) for e in errors_km]


def _legend() -> str:
    ticks = [10, 100, 1_000, 10_000]
    colours = _colours(np.array(ticks, float))
    cells = "".join(f'<span style="background:{c};color:{"white" if t in (10, 10_000) else "black"}">{t:,} km</span>'
                    for t, c in zip(ticks, colours))
    return f'<div class="legend">error: {cells}</div>'


def _title(row: pd.Series) -> str:
    parts = [f"id {row['id']}", f"true {row['true_lat']:.2f}, {row['true_lon']:.2f}",
             "predicted " + (f"{row['name']} " if "name" in row and pd.notna(row["name"]) else "")
             + f"({row['lat']:.2f}, {row['lon']:.2f})", f"error {row['error_km']:,.0f} km"]
    if "confidence" in row and pd.notna(row["confidence"]):
        parts.append(f"confidence {row['confidence']:.3f}")
    return html.escape(" · ".join(parts))


def _points(table: pd.DataFrame) -> str:
    out = []
    for colour, (_, row) in zip(_colours(table["error_km"].to_numpy()), table.iterrows()):
        tx, ty, px, py = row["true_lon"], -row["true_lat"], row["lon"], -row["lat"]
        out.append(f'<g class="p"><title>{_title(row)}</title>'
                   f'<line x1="{tx:.3f}" y1="{ty:.3f}" x2="{px:.3f}" y2="{py:.3f}"/>'
                   f'<circle class="pred" cx="{px:.3f}" cy="{py:.3f}" r="0.5"/>'
                   f'<circle class="true" cx="{tx:.3f}" cy="{ty:.3f}" r="0.5" fill="{colour}"/></g>')
    return "\n".join(out)


_SCRIPT = """
const svg = document.getElementById('map'), home = HOME.slice();
let view = home.slice(), drag = null;
function draw() {
  svg.setAttribute('viewBox', view.join(' '));
  const unit = view[2] / svg.clientWidth;  // degrees per screen pixel
  for (const c of svg.querySelectorAll('circle')) c.setAttribute('r', (c.classList.contains('pred') ? 3 : 4) * unit);
  svg.style.setProperty('--w', unit);
}
svg.addEventListener('wheel', e => {
  e.preventDefault();
  const k = e.deltaY > 0 ? 1.25 : 0.8, b = svg.getBoundingClientRect();
  const x = view[0] + (e.clientX - b.left) / b.width * view[2], y = view[1] + (e.clientY - b.top) / b.height * view[3];
  view = [x - (x - view[0]) * k, y - (y - view[1]) * k, view[2] * k, view[3] * k];
  draw();
}, {passive: false});
svg.addEventListener('mousedown', e => { drag = [e.clientX, e.clientY, view[0], view[1]]; });
window.addEventListener('mouseup', () => { drag = null; });
window.addEventListener('mousemove', e => {
  if (!drag) return;
  const unit = view[2] / svg.getBoundingClientRect().width;
  view[0] = drag[2] - (e.clientX - drag[0]) * unit; view[1] = drag[3] - (e.clientY - drag[1]) * unit; draw();
});
document.getElementById('reset').onclick = () => { view = home.slice(); draw(); };
document.getElementById('world').onclick = () => { view = WORLD_VIEW.slice(); draw(); };
const lines = document.getElementById('lines');
lines.onchange = () => svg.classList.toggle('all', lines.checked);
if (location.hash === '#lines') { lines.checked = true; lines.onchange(); }  // map.html#lines: all lines drawn
window.addEventListener('resize', draw);
draw();
"""

_STYLE = """
body { font-family: sans-serif; margin: 12px; }
#map { width: 100%; height: 78vh; border: 1px solid #999; background: white; cursor: grab; }
.p line { stroke: #333; stroke-width: 1.2; vector-effect: non-scaling-stroke; visibility: hidden; }
.p .pred { fill: #222; visibility: hidden; }
.p .true { stroke: #333; stroke-width: 0.6; vector-effect: non-scaling-stroke; }
.p:hover line, .p:hover .pred, svg.all .p line { visibility: visible; }
svg.all .p line { stroke-opacity: 0.35; }
.p:hover .true { stroke: black; stroke-width: 2; }
.legend span { display: inline-block; padding: 2px 8px; margin-right: 2px; color: black; }
.controls { margin: 6px 0; }
"""


def _view(extent: tuple[float, float, float, float]) -> list[float]:
    """An SVG viewBox (x, y, width, height) showing extent (lon min, lon max, lat min, lat max)."""
    lon0, lon1, lat0, lat1 = extent
    return [lon0, -lat1, lon1 - lon0, lat1 - lat0]


def write_error_map_html(table: pd.DataFrame, path: Path, title: str, seed: int = 0, sample: int = SAMPLE) -> None:
    """The page for one run's prediction table (evaluate.prediction_table of a geo run: id,
    true_lat, true_lon, lat, lon, error_km, and name/confidence when the run has labels)."""
    rows = np.random.default_rng(seed).permutation(len(table))[:sample]
    shown = table.iloc[np.sort(rows)]
    extent = map_extent(table[["true_lat", "true_lon"]].to_numpy())
    home = _view(extent)
    median = float(np.median(table["error_km"])) if len(table) else float("nan")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{_STYLE}</style></head><body>
<h2>{html.escape(title)}</h2>
<p>{len(shown):,} of {len(table):,} rows (a fixed random sample); median error of all rows {median:,.0f} km.
Each dot is a tweet's (or user's) true place, coloured by the distance to the model's prediction.
Hover a dot for the row and the line to its prediction (black dot); wheel to zoom, drag to pan
(open as map.html#lines to start with every line drawn).
No tweet text is shown.</p>
<div class="controls">{_legend()}
<button id="reset">data extent</button> <button id="world">world</button>
<label><input type="checkbox" id="lines"> all error lines</label></div>
<svg id="map" viewBox="{' '.join(f'{v:g}' for v in home)}"
 preserveAspectRatio="xMidYMid meet">
{_backgrounds(extent)}
{_points(shown)}
</svg>
<script>const HOME = {json.dumps(home)}, WORLD_VIEW = {json.dumps(_view(WORLD))};{_SCRIPT}</script>
</body></html>
"""
    with atomic_path(path) as tmp:
        tmp.write_text(page, encoding="utf-8")
