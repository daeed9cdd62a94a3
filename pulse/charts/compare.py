"""Compare charts: the party volume around chosen events, aligned on the event."""

import plotly.express as px
import plotly.graph_objects as go
import polars as pl

from pulse.charts.theme import RECORD_COLOR, LineStyle, as_text, finish, no_data, styled_lines
from pulse.escape import plotly_columns


def aligned_windows(windows: pl.DataFrame, styles: dict[str, LineStyle], hourly: bool = True) -> go.Figure:
    """The party volume around each chosen event on one time axis, t = 0 at the event; a party's events differ
    by dash and marker as well as by shade."""
    windows, styles = plotly_columns(windows), as_text(styles)
    unit = "hour" if hourly else "day"
    title = f"Party tweets per {unit} around each event (t = 0 at the event)"
    if windows.is_empty():
        return no_data(title)
    fig = px.line(
        windows,
        x="offset",
        y="tweets",
        color="label",
        color_discrete_map={name: style.color for name, style in styles.items()},
        custom_data=["label"],
        render_mode="svg",  # as the hashtag chart: markers spread along each line
    )
    styled_lines(fig, styles)
    fig.update_traces(hovertemplate=f"%{{customdata[0]}}<br>{unit} %{{x:+d}}<br>%{{y:,}} tweets<extra></extra>")
    fig.add_vline(x=0, line=dict(color=RECORD_COLOR, width=1, dash="dash"))
    fig.add_annotation(x=0, y=1, yref="paper", text="event", showarrow=False, xanchor="left", xshift=4)
    # The data's span (a day's markers half a step clear of the edges): plotly pads for the markers, which added a
    # tick past the last hour and turned every tick label on a phone.
    pad = 0 if hourly else 0.3
    fig.update_xaxes(
        dtick=24 if hourly else 1, zeroline=False, range=[windows["offset"].min() - pad, windows["offset"].max() + pad]
    )
    fig.update_layout(height=480)
    return finish(fig, title, f"{unit.capitalize()}s from the event", f"Party tweets per {unit}")
