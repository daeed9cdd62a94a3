"""Rally charts: the map of Pakistan (with its city labels), the announcement timeline and each event's lift."""

import json
from functools import cache
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import polars as pl

from pulse.charts.theme import OTHER_COLOR, ROW_PX, as_text, finish, local_time, neutral_legend, no_data, tint
from pulse.escape import plotly_columns
from pulse.metrics.events import EVENT_KINDS

BORDERS = Path(__file__).resolve().parents[1] / "assets" / "pakistan_borders.json"
PAKISTAN_VIEW = dict(lon=(60.5, 78.0), lat=(23.3, 37.3))


@cache
def _borders() -> dict[str, list]:
    return json.loads(BORDERS.read_text(encoding="utf-8"))["countries"]


def _outline(lines: list) -> tuple[list, list]:
    lons: list = []
    lats: list = []
    for line in lines:
        for point in [*line, None]:
            lons.append(None if point is None else point[0])
            lats.append(None if point is None else point[1])
    return lons, lats


def rally_map(rallies: pl.DataFrame, colors: dict[str, str], tz: str) -> go.Figure:
    """Rallies on a map of Pakistan: marker area = reported attendance, colour = party; no attendance = ring.

    The country outlines are drawn from a bundled file (Natural Earth), so the map needs no internet.
    """
    rallies, colors = plotly_columns(rallies), as_text(colors)
    title = "Where the rallies were (marker size = reported attendance)"
    located = local_time(rallies.filter(pl.col("lat").is_not_null() & pl.col("lon").is_not_null()), tz, "starts_at")
    fig = go.Figure()
    borders = _borders()
    for country, lines in borders.items():
        lons, lats = _outline(lines)
        home = country == "Pakistan"
        fig.add_scattergeo(
            lon=lons,
            lat=lats,
            mode="lines",
            fill="toself" if home else None,
            fillcolor="#F4F1EA" if home else None,
            line=dict(color="#6B7079" if home else "#C3C7CE", width=1.4 if home else 0.8),
            hoverinfo="skip",
            showlegend=False,
        )
    attendance = pl.col("reported_attendance")
    # Marker area grows with the crowd (radius in px), small enough for a phone; a ring when not reported.
    radius = pl.when(attendance.is_null()).then(6.0).otherwise(6 + 12 * (attendance / attendance.max()).sqrt())
    sized = located.sort("reported_attendance", descending=True, nulls_last=True).with_columns(radius.alias("radius"))

    for (party,), group in sized.group_by("party", maintain_order=True):
        known = group["reported_attendance"].is_not_null()
        fig.add_scattergeo(
            lon=group["lon"],
            lat=group["lat"],
            mode="markers",
            name=party,
            marker=dict(
                size=(2 * group["radius"]).to_list(),
                color=[colors.get(party, OTHER_COLOR) if k else "rgba(255,255,255,0.6)" for k in known],
                line=dict(color=colors.get(party, OTHER_COLOR), width=2),
                opacity=0.8,
            ),
            customdata=[
                (*row, "not reported" if attendance is None else f"{attendance:,}")
                for row, attendance in zip(
                    group.select(
                        "city", pl.col("venue").fill_null(""), pl.col("starts_at").dt.strftime("%a %-d %b %Y, %H:%M")
                    ).rows(),
                    group["reported_attendance"],
                    strict=True,
                )
            ],
            hovertemplate=(
                f"<b>{party} rally · %{{customdata[0]}}</b><br>%{{customdata[1]}}<br>%{{customdata[2]}}<br>"
                "Reported attendance: %{customdata[3]}<extra></extra>"
            ),
        )
    cities = (
        sized.group_by("city")
        .agg(pl.col("lat").first(), pl.col("lon").first(), attendance.max(), pl.col("radius").max())
        .sort("reported_attendance", "city", descending=[True, False], nulls_last=True)
    )
    for city, lat, lon, position in map_labels(cities):
        fig.add_scattergeo(
            lon=[lon],
            lat=[lat],
            mode="text",
            text=[f"<b>{city}</b>"],
            textposition=position,
            textfont=dict(size=12, color="#3A3F47"),
            hoverinfo="skip",
            showlegend=False,
        )
    neutral_legend(fig, (("circle-open", "Attendance not reported"),), geo=True)
    # Only the bundled outlines: every built-in layer off, so plotly fetches no shapes from a CDN.
    fig.update_geos(
        visible=False,
        projection_type="mercator",
        lonaxis_range=PAKISTAN_VIEW["lon"],
        lataxis_range=PAKISTAN_VIEW["lat"],
        bgcolor="#FBFCFD",
    )
    fig.update_layout(height=560, margin=dict(l=0, r=0))
    return finish(fig, title, "", "")


# The map's scale on a phone, where labels are most crowded: 17.5° of longitude across about 360 px.
MAP_PX_PER_DEGREE = 20.5
LABEL_PX_PER_CHAR = 7.0  # bold 12 px text
LABEL_PX_HIGH = 14.0


def map_labels(cities: pl.DataFrame) -> list[tuple[str, float, float, str]]:
    """Where to write each city's name on the rally map: (city, lat, lon, plotly textposition) for each city whose
    name fits right, left, above or below its marker without covering another city's marker or label.

    `cities` has city, lat, lon and the marker's radius (px), the most important first: they are placed first.
    Sizes are reckoned at a phone's scale; on a wider screen everything is further apart.
    """
    px, half_high = 1 / MAP_PX_PER_DEGREE, LABEL_PX_HIGH / 2

    def box(lat: float, lon: float, left: float, right: float, down: float, up: float) -> tuple:
        # Pixels around a point to a lon/lat box; Mercator stretches latitude by 1/cos(lat).
        stretch = np.cos(np.radians(lat))
        return (lon + left * px, lon + right * px, lat + down * px * stretch, lat + up * px * stretch)

    def overlaps(a: tuple, b: tuple) -> bool:
        return a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]

    rows = list(cities.select("city", "lat", "lon", "radius").iter_rows())
    taken = [box(lat, lon, -r, r, -r, r) for _, lat, lon, r in rows]  # every marker
    (west, east), (south, north) = PAKISTAN_VIEW["lon"], PAKISTAN_VIEW["lat"]
    placed = []
    for city, lat, lon, r in rows:
        wide, gap = LABEL_PX_PER_CHAR * len(city), r + 3
        candidates = (  # (label box, anchor point as lat/lon offsets in px, textposition)
            (box(lat, lon, gap, gap + wide, -half_high, half_high), (0, gap), "middle right"),
            (box(lat, lon, -gap - wide, -gap, -half_high, half_high), (0, -gap), "middle left"),
            (box(lat, lon, -wide / 2, wide / 2, gap, gap + LABEL_PX_HIGH), (gap, 0), "top center"),
            (box(lat, lon, -wide / 2, wide / 2, -gap - LABEL_PX_HIGH, -gap), (-gap, 0), "bottom center"),
        )
        own = box(lat, lon, -r, r, -r, r)
        for label, (up, right), position in candidates:
            inside = west <= label[0] and label[1] <= east and south <= label[2] and label[3] <= north
            if inside and not any(overlaps(label, other) for other in taken if other != own):
                taken.append(label)
                anchor = box(lat, lon, right, right, up, up)
                placed.append((city, anchor[2], anchor[0], position))
                break
    return placed


def rally_timeline(history: pl.DataFrame, colors: dict[str, str], tz: str) -> go.Figure:
    """One row per rally: from its first announcement (○) to the day it was held (◆); dates it was announced
    for and then moved away from are ✕, and a rescheduled rally says how it moved."""
    history, colors = plotly_columns(history), as_text(colors)
    title = "Announcements and rally dates: lead time and reschedules"
    if history.is_empty():
        return no_data(title)
    frame = local_time(history, tz, "announced_at", "starts_at")
    held = frame.filter(pl.col("is_current")).sort("starts_at")
    row_of = {
        r["rally_id"]: f"{r['party']} · {r['city']} · {r['starts_at']:%-d %b}" for r in held.iter_rows(named=True)
    }
    frame = frame.with_columns(
        pl.col("rally_id").replace_strict(row_of).alias("row"),
        (pl.col("starts_at") != pl.col("starts_at").last().over("rally_id")).alias("given_up"),
    )
    fig = go.Figure()
    for r in (
        frame.group_by("rally_id", maintain_order=True)
        .agg(pl.col("row").first(), pl.col("party").first(), pl.col("announced_at").min(), pl.col("starts_at").last())
        .iter_rows(named=True)
    ):
        fig.add_scatter(
            x=[r["announced_at"], r["starts_at"]],
            y=[r["row"], r["row"]],
            mode="lines",
            line=dict(color=tint(colors.get(r["party"], OTHER_COLOR), 0.45), width=4),
            hoverinfo="skip",
            showlegend=False,
        )
    fmt = "%a %-d %b %H:%M"
    marks = (
        ("Announced", frame, "announced_at", "circle-open", 10),
        ("Date later moved", frame.filter(pl.col("given_up")), "starts_at", "x-thin-open", 11),
        ("Rally held", frame.filter(pl.col("is_current")), "starts_at", "diamond", 13),
    )
    for name, rows, x, symbol, size in marks:
        fig.add_scatter(
            x=rows[x],
            y=rows["row"],
            mode="markers",
            name=name,
            showlegend=False,
            marker=dict(
                symbol=symbol,
                size=size,
                color=[colors.get(p, OTHER_COLOR) for p in rows["party"]],
                line=dict(width=2, color=[colors.get(p, OTHER_COLOR) for p in rows["party"]]),
            ),
            customdata=rows.select(
                "announcement", pl.col("announced_at").dt.strftime(fmt), pl.col("starts_at").dt.strftime(fmt)
            ).rows(),
            hovertemplate=(
                f"<b>%{{y}}</b> · {name.lower()}<br>Announcement %{{customdata[0]}}, made %{{customdata[1]}}"
                "<br>for %{customdata[2]}<extra></extra>"
            ),
        )
    labels = {row: row for row in row_of.values()}
    moved = frame.filter(pl.col("rally_id").is_in(frame.filter(pl.col("given_up"))["rally_id"].implode()))
    for (rally_id,), group in moved.group_by("rally_id", maintain_order=True):
        path = " → ".join(f"{d:%-d}" for d in group["starts_at"]) + f" {group['starts_at'][-1]:%b}"
        labels[row_of[rally_id]] += f" · moved: {path}"
    _label_rows_inside(fig, labels)
    neutral_legend(fig, (("circle-open", "Announced"), ("x-thin-open", "Date later moved"), ("diamond", "Rally held")))
    return finish(fig, title, "Local date", "")


def _label_rows_inside(fig: go.Figure, labels: dict[str, str]) -> None:
    """Category rows, top to bottom in the order of `labels` (row -> label), each named by its label just above it
    inside the plot instead of by a tick label: beside the axis, labels leave the plot a sliver on a phone."""
    rows = list(labels)
    fig.update_yaxes(
        categoryorder="array", categoryarray=rows[::-1], showticklabels=False, tickformat="", rangemode="normal"
    )
    for row, label in labels.items():
        fig.add_annotation(
            xref="paper",
            x=0,
            y=row,
            xanchor="left",
            yanchor="bottom",
            yshift=4,
            text=label,
            showarrow=False,
            font=dict(size=12, color="#3A3F47"),
        )
    fig.update_layout(height=150 + ROW_PX * len(rows))


def event_lift(lift: pl.DataFrame, colors: dict[str, str], tz: str) -> go.Figure:
    """Each event's party tweets per day: the usual day before (○) against the 24 hours after (●), with the lift.

    `lift` has the rows of pulse.metrics.rallies.rally_lift (rallies and their announcements, with the city).
    """
    lift, colors = plotly_columns(lift), as_text(colors)
    title = "Lift: party tweets in the 24 h after each event against its usual day"
    if lift.is_empty():
        return no_data(title)
    frame = local_time(lift, tz, "at").with_columns(
        pl.format(
            "{} · {} {} · {}",
            pl.col("at").dt.strftime("%-d %b"),
            "party",
            pl.col("event_type").replace_strict(EVENT_KINDS, default=pl.col("event_type")),
            "city",
        ).alias("row")
    )
    fig = go.Figure()
    for r in frame.iter_rows(named=True):
        fig.add_scatter(
            x=[r["baseline"], r["after_24h"]],
            y=[r["row"], r["row"]],
            mode="lines",
            line=dict(color=tint(colors.get(r["party"], OTHER_COLOR), 0.4), width=3),
            hoverinfo="skip",
            showlegend=False,
        )
    for name, x, symbol in (
        ("Usual day (7-day mean)", "baseline", "circle-open"),
        ("First 24 h", "after_24h", "circle"),
    ):
        fig.add_scatter(
            x=frame[x],
            y=frame["row"],
            mode="markers",
            name=name,
            showlegend=False,
            marker=dict(
                symbol=symbol,
                size=11,
                color=[colors.get(p, OTHER_COLOR) for p in frame["party"]],
                line=dict(width=2, color=[colors.get(p, OTHER_COLOR) for p in frame["party"]]),
            ),
            customdata=frame.select("baseline", "after_24h", pl.col("lift").fill_nan(None)).rows(),
            hovertemplate=(
                "<b>%{y}</b><br>usual day %{customdata[0]:,.0f} tweets<br>first 24 h %{customdata[1]:,} tweets"
                "<br>lift %{customdata[2]:.1f}×<extra></extra>"
            ),
        )
    fig.update_xaxes(type="log", tickformat="~s")
    # The lift ends each row's label: as text beside the largest marker it ran off the plot's right edge.
    lifts = frame.select("row", pl.col("lift").fill_nan(None)).iter_rows()
    _label_rows_inside(fig, {row: f"{row} · <b>{'n/a' if v is None else f'{v:.1f}×'}</b>" for row, v in lifts})
    neutral_legend(fig, (("circle-open", "Usual day (mean of the 7 days before)"), ("circle", "First 24 h")))
    return finish(fig, title, "Party tweets per day (log scale)", "")
