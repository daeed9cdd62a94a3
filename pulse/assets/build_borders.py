"""Rebuild pakistan_borders.json, the offline basemap of the Rallies map, from Natural Earth data.

Plotly's geo maps fetch their country shapes from a CDN at view time; the dashboard must work without
internet, so the map draws these outlines itself. Source: `countries-50m.json` of the npm package
`world-atlas` 2.0.2 (Natural Earth 4.1.0, public domain; de facto boundaries as Natural Earth draws them).

    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    .venv/bin/python pulse/assets/build_borders.py package/countries-50m.json
"""

import json
import sys
from pathlib import Path

COUNTRIES = ("Pakistan", "India", "Afghanistan", "Iran", "China", "Tajikistan", "Turkmenistan", "Oman", "Nepal")
# Generously around Pakistan (lon 60.9-77.8, lat 23.7-37.1), so the outlines reach past any view of it.
LON, LAT = (50.0, 90.0), (15.0, 45.0)
OUT = Path(__file__).with_name("pakistan_borders.json")


def decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """TopoJSON arcs are delta-encoded, quantised positions: back to longitude and latitude."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring(indexes: list[int], arcs: list[list[tuple[float, float]]]) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc if not points else arc[1:])
    return points


def clipped(points: list[tuple[float, float]]) -> list[list[float] | None]:
    """The ring as a line, rounded to ~1 km, broken (None) where it leaves the area of interest."""
    line: list[list[float] | None] = []
    for lon, lat in points:
        inside = LON[0] <= lon <= LON[1] and LAT[0] <= lat <= LAT[1]
        if inside:
            line.append([round(lon, 2), round(lat, 2)])
        elif line and line[-1] is not None:
            line.append(None)
    return line


def main(source: str) -> None:
    topology = json.loads(Path(source).read_text())
    arcs = decode_arcs(topology)
    shapes: dict[str, list] = {}
    for geometry in topology["objects"]["countries"]["geometries"]:
        name = geometry.get("properties", {}).get("name")
        if name not in COUNTRIES:
            continue
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        lines = [clipped(ring(polygon[0], arcs)) for polygon in polygons]  # outer rings only
        shapes[name] = [line for line in lines if sum(p is not None for p in line) > 2]
    OUT.write_text(json.dumps({"source": "Natural Earth 4.1.0 via world-atlas 2.0.2", "countries": shapes}))
    print(OUT, OUT.stat().st_size, "bytes")


if __name__ == "__main__":
    main(sys.argv[1])
