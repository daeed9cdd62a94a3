"""The Display page's screen: panels made for a wall across the room, not a desk (pulse.displays configures them).

Who gets in: a share link's token (pulse.display_links) opens the one display it names, checked again at every
refresh, so a revoked link closes an open screen; without one, whoever may read the dashboard. The screen reruns
alone (st.fragment) every refresh, and at each turn when it rotates; the page around it never reloads.
"""

import html
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import NoReturn
from zoneinfo import ZoneInfo

import polars as pl
import streamlit as st

from pulse import display_links
from pulse.access import VIEWER
from pulse.charts.claims import VERDICT_COLORS
from pulse.charts.spaces import space_audience
from pulse.charts.streams import audience_curves as audience_chart
from pulse.charts.theme import OTHER_COLOR, for_screen
from pulse.config import data_dir, is_sample
from pulse.data.dataset import Dataset
from pulse.data.store import Store
from pulse.displays import PANELS, Display, display_named, load_displays
from pulse.errors import PulseError
from pulse.escape import log_text
from pulse.metrics.claims import VERDICT_LABELS, verdict_counts
from pulse.metrics.filters import Filters
from pulse.metrics.hashtags import OTHER_PARTIES
from pulse.metrics.recent import party_ranking
from pulse.metrics.spaces import record_progression, space_metrics, space_reach_by_party
from pulse.metrics.streams import audience_curves, live_streams, stream_metrics, stream_records, stream_rows
from pulse.metrics.summary import Tables, share_last_24h, today
from pulse.ui import access, live, session
from pulse.ui.labels import as_of_label, day_label, growth, hour_label, number
from pulse.ui.settings import configured_display_secret
from pulse.ui.widgets import user_errors
from pulse.watch import alerts

LOG = logging.getLogger("pulse.display")
TURN_SLACK_S = 0.5  # a rerun a little early still turns the panel: timers are not exact
NEWEST_ALERTS = 5
NEWEST_CLAIMS = {"rotate": 5, "grid": 2}  # lines under the verdict counts that still fit the screen
CARDS = {"rotate": 6, "grid": 3}  # party cards a panel holds and still fits the screen (a grid's: one row)
LIVE_SHOWN = {"rotate": 2, "grid": 1}  # live Spaces and streams side by side
CHART_HEIGHT = {"rotate": 300, "grid": 120}  # px: plotly sizes a chart itself
REFUSALS = {
    display_links.EXPIRED: "This display link has expired.",
    display_links.REVOKED: "This display link has been revoked.",
}
REFUSED = "This display link does not work here."

# The kiosk look: no sidebar, toolbar, page list or element toolbar; the screen fills the window without scrolling,
# and what a refresh replaces is not dimmed while it runs (no flicker).
# Sizes in vh scale with the screen; clamp() keeps figures at 48 px and labels at 20 px at the least.
_KIOSK = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
[data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stElementToolbar"],
[data-testid="stStatusWidget"], footer { display: none !important; }
[data-testid="stMainBlockContainer"] { padding: 1.2vh 1.6vw 0 1.6vw !important; max-width: 100% !important; }
[data-testid="stMain"] { overflow: hidden; }
[data-stale="true"] { opacity: 1 !important; transition: none !important; }
.stApp { --pd-fg: #1F2329; --pd-muted: #5A606B; --pd-card: #F3F4F6; --pd-bad: #C62828; --pd-good: #1B7F3B; }
.pd-head { display: flex; gap: 1.2vw; align-items: baseline; font-size: clamp(20px, 2.4vh, 34px);
  color: var(--pd-muted); white-space: nowrap; overflow: hidden; }
.pd-head .pd-title { color: var(--pd-fg); font-weight: 700; font-size: clamp(24px, 3.6vh, 48px); flex-shrink: 0; }
.pd-head .pd-name { flex: 0 1 auto; min-width: 0; overflow: hidden; text-overflow: ellipsis; }
.pd-head .pd-asof { margin-left: auto; flex-shrink: 0; }
.pd-stale { color: var(--pd-bad); font-weight: 700; }
.pd-panel { color: var(--pd-fg); }
.pd-cell-title { font-size: clamp(20px, 2.6vh, 36px); font-weight: 700; color: var(--pd-fg); margin-bottom: 0.6vh; }
.pd-fig { font-size: clamp(48px, 11vh, 150px); font-weight: 700; line-height: 1.05; color: var(--pd-fg);
  font-variant-numeric: tabular-nums; }
.pd-grid .pd-fig { font-size: clamp(48px, 6.5vh, 90px); }
.pd-label { font-size: clamp(20px, 2.8vh, 40px); color: var(--pd-muted); line-height: 1.25; }
.pd-grid .pd-label { font-size: clamp(20px, 2.1vh, 30px); }
.pd-cards { display: flex; flex-wrap: wrap; gap: 1.2vh 1.2vw; }
.pd-card { background: var(--pd-card); border-radius: 10px; padding: 1vh 1vw; flex: 1 1 28%; min-width: 0;
  border-top: 0.9vh solid var(--pd-party); }
.pd-grid .pd-card { flex: 1 1 28%; }
.pd-four .pd-card { flex: 1 1 20%; }
.pd-up { color: var(--pd-good); } .pd-down { color: var(--pd-bad); }
.pd-alert { font-size: clamp(20px, 3vh, 40px); color: var(--pd-fg); white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; padding: 0.5vh 0; border-bottom: 1px solid var(--pd-card); }
.pd-grid .pd-alert { font-size: clamp(20px, 2.1vh, 30px); }
.pd-alert .pd-when { color: var(--pd-muted); margin-right: 0.8vw; }
.pd-bar { display: flex; height: 5vh; border-radius: 8px; overflow: hidden; margin: 1vh 0 2vh 0; }
.pd-line { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
</style>"""
_DARK = """<style>
.stApp { background: #0E1117; --pd-fg: #FAFAFA; --pd-muted: #A3A8B4; --pd-card: #1C2029; --pd-bad: #FF6B6B;
  --pd-good: #5BD08A; }
</style>"""


def admitted() -> tuple[Display, str | None]:
    """The display this visitor may see and the link's token that lets them (None: their role does); a refusal
    page, with no data, otherwise."""
    token = st.query_params.get("link")
    with user_errors():
        displays = load_displays()
    if token is None:
        access.require(VIEWER)
        with user_errors():
            return display_named(st.query_params.get("display"), displays), None
    grant = _grant(token)
    if grant.display not in displays:  # removed from displays.toml since: a refusal naming no other display
        LOG.warning("display link refused: no display %s (link %s)", log_text(grant.display), grant.link_id)
        _refuse(REFUSED)
    return displays[grant.display], token


def _check(token: str) -> display_links.Grant:
    secret = display_links.checked_secret(configured_display_secret())
    return display_links.verify(token, secret, display_links.read_links(data_dir()), datetime.now(UTC))


def _grant(token: str) -> display_links.Grant:
    """What the link grants, or a refusal page; the server logs why, never the token."""
    try:
        return _check(token)
    except display_links.Refused as refused:
        link = f" (link {log_text(refused.link_id)})" if refused.link_id else ""
        LOG.warning("display link refused: %s%s", refused.reason, link)
        _refuse(REFUSALS.get(refused.reason, REFUSED))
    except PulseError as error:  # no display_secret, or the links file cannot be read
        LOG.warning("display link refused: %s", log_text(error))
        _refuse(REFUSED)


def _refuse(message: str) -> NoReturn:
    st.html(_KIOSK)
    st.title("Campaign Pulse")
    st.warning(message, icon=":material/link_off:")
    st.write("Ask whoever gave you this link for a new one.")
    st.stop()


def screen(display: Display, token: str | None) -> None:
    """The kiosk look, then the panels, rerun alone every tick."""
    st.html(_KIOSK + (_DARK if display.theme == "dark" else ""))
    st.fragment(_tick, run_every=display.tick_s)(display, token)


def _tick(display: Display, token: str | None) -> None:
    # Checked at every refresh: a revoked link, or a role taken away, reruns the page, which then refuses.
    if token is not None:
        try:
            _check(token)
        except PulseError:
            st.rerun()
    elif not access.visitor().may(VIEWER):
        st.rerun()
    now = datetime.now(UTC)
    with user_errors():
        data, tables = session.stored_view(Filters())
    turn = _turn(display) if display.layout == "rotate" else 0
    shown = display.panels if display.layout == "grid" else (display.panels[turn],)
    title = display.name if display.layout == "grid" else PANELS[shown[0]]
    place = f"{turn + 1} / {len(display.panels)}" if display.layout == "rotate" and len(display.panels) > 1 else ""
    admin = token is None and access.is_admin()
    st.html(_header(display, title, place, tables.as_of, now, data.tz, admin))
    if display.layout == "rotate":
        with st.container(key=f"display-panel-{shown[0]}"):
            _panel(shown[0], display, data, tables, now, "rotate")
        return
    for start in range(0, len(shown), 2):
        for column, name in zip(st.columns(2, gap="large"), shown[start : start + 2], strict=False):
            with column, st.container(key=f"display-panel-{name}"):
                st.html(f'<div class="pd-cell-title">{html.escape(PANELS[name])}</div>')
                _panel(name, display, data, tables, now, "grid")


def _turn(display: Display) -> int:
    """The panel shown now: the next one once `rotate` has passed since the last turn (per session and display)."""
    key = f"display-turn-{display.name}"
    clock = time.monotonic()
    index, since = st.session_state.get(key, (0, clock))
    if clock - since >= display.rotate_s - TURN_SLACK_S:
        index, since = (index + 1) % len(display.panels), clock
    st.session_state[key] = (index, since)
    return index % len(display.panels)


def _header(display: Display, title: str, place: str, as_of, now: datetime, tz: str, admin: bool) -> str:
    """The display's name and panel, and the data's as of and age: red and 'stale' after `stale_after`; for an
    admin, a link to the share links."""
    if as_of is None:
        age = '<span class="pd-stale">no data yet</span>'
    else:
        old = now - as_of > timedelta(seconds=display.stale_after_s)
        ago = html.escape(live.ago(as_of, now)) + (" · stale" if old else "")
        age = f'<span class="{"pd-stale" if old else ""}" data-testid="display-age">{ago}</span>'
        age = f"data as of {html.escape(as_of_label(as_of, tz, now))} · {age}"
    sample = " · sample data, for illustration" if is_sample(data_dir()) else ""
    links = f'<a href="?display={display.name}&amp;links=manage">share links</a>' if admin else ""
    return (
        f'<div class="pd-head"><span class="pd-title">{html.escape(title)}</span>'
        f'<span data-testid="display-place">{place}</span>'
        f'<span class="pd-name">{html.escape(display.name)}{sample}</span>'
        f'{links}<span class="pd-asof">{age}</span></div>'
    )


def _panel(name: str, display: Display, data: Dataset, tables: Tables, now: datetime, layout: str) -> None:
    css = "pd-panel pd-grid" if layout == "grid" else "pd-panel"
    if name == "live":  # with charts: drawn by Streamlit, not as one block of HTML
        _live(display, data, now, layout, css)
        return
    body = {"today": _today, "hour": _hour, "alerts": _alerts, "record": _record, "share": _share, "claims": _claims}[
        name
    ]
    st.html(f'<div class="{css}" data-panel="{name}">{body(display, data, tables, layout)}</div>')


def _color(colors: dict[str, str], party: str) -> str:
    return colors.get(party, OTHER_COLOR)  # validated #RRGGBB: safe in a style


def _card(party: str, color: str, figure: str, below: str, below_class: str = "") -> str:
    return (
        f'<div class="pd-card" style="--pd-party:{color}"><div class="pd-label">{html.escape(party)}</div>'
        f'<div class="pd-fig">{html.escape(figure)}</div>'
        f'<div class="pd-label {below_class}">{html.escape(below)}</div></div>'
    )


def _nothing(text: str) -> str:
    return f'<div class="pd-label">{html.escape(text)}</div>'


def _parties(frame: pl.DataFrame, display: Display) -> pl.DataFrame:
    return frame if display.parties is None else frame.filter(pl.col("party").is_in(list(display.parties)))


def _today(display: Display, data: Dataset, tables: Tables, layout: str) -> str:
    ranked = _parties(party_ranking(tables.party_summary), display).head(CARDS[layout])
    if ranked.is_empty():
        return _nothing("No tweets in the last 24 hours of the data.")
    cards = []
    for row in ranked.iter_rows(named=True):
        change, pct = growth(row["growth_24h_pct"]), row["growth_24h_pct"]
        trend = "" if pct is None else "pd-up" if pct >= 0 else "pd-down"
        cards.append(_card(row["party"], _color(data.colors, row["party"]), number(row["tweets_24h"]), change, trend))
    about = "Tweets in the last 24 hours, and the change on the 24 hours before"
    return f'<div class="pd-label">{about}</div><div class="pd-cards">{"".join(cards)}</div>'


def _hour(display: Display, data: Dataset, tables: Tables, layout: str) -> str:
    best = today(data, Filters(parties=display.parties), tables.as_of).strongest
    if best is None:
        return _nothing("No tweets in the last 24 hours of the data.")
    ratio = f"{best['ratio']:.1f}× its 12 hours before" if best["ratio"] is not None else "none in the 12 hours before"
    when = f"{hour_label(best['period_start'], data.tz)} · {ratio}"
    card = _card(best["party"], _color(data.colors, best["party"]), number(best["tweets"]), "tweets in the hour")
    return (
        f'<div class="pd-fig pd-line">#{html.escape(best["hashtag"])}</div>'
        f'<div class="pd-label">{html.escape(when)}</div><div class="pd-cards">{card}</div>'
    )


def _alerts(display: Display, data: Dataset, tables: Tables, layout: str) -> str:
    raised = alerts.filtered(alerts.load_alerts(Store(data_dir())), [], display.parties or []).head(NEWEST_ALERTS)
    if raised.is_empty():
        return _nothing("No alerts yet.")
    lines = []
    for row in raised.iter_rows(named=True):
        at = row["raised_at"].astimezone(ZoneInfo(data.tz))
        kind = alerts.KIND_LABELS.get(row["kind"], row["kind"])
        lines.append(
            f'<div class="pd-alert"><span class="pd-when">{at:%-d %b %H:%M}</span><b>{html.escape(kind)}</b> · '
            f"{html.escape(row['message'])}</div>"
        )
    return "".join(lines)


def _record(display: Display, data: Dataset, tables: Tables, layout: str) -> str:
    records = record_progression(space_metrics(data.spaces), Filters(), data.tz)
    streamed = stream_records(stream_metrics(data.streams, data.rallies))
    if records.is_empty() and streamed.is_empty():
        return _nothing("No Space or stream with a known audience yet.")
    tops = []
    if not records.is_empty():
        best = records.row(-1, named=True)
        held = f"{best['host']} · {day_label(best['started_at'], data.tz)} · {_before(best['previous_record'])}"
        figure = number(best["total_listeners"])
        tops.append(
            _card(f"{best['party']} · Space, total listeners", _color(data.colors, best["party"]), figure, held)
        )
    if not streamed.is_empty():
        best = streamed.row(-1, named=True)
        who = best["channel_title"] or best["stream_id"]
        held = f"{who} · {day_label(best['started_at'], data.tz)} · {_before(best['previous_record'])}"
        figure = number(best["peak_viewers"])
        tops.append(
            _card(f"{best['party']} · YouTube stream, peak viewers", _color(data.colors, best["party"]), figure, held)
        )
    shown = f'<div class="pd-label">The all-time records</div><div class="pd-cards">{"".join(tops)}</div>'
    if layout == "grid":  # a quarter of the screen: the records alone
        return shown
    parties = _parties(space_reach_by_party(space_metrics(data.spaces)), display)
    parties = parties.filter(pl.col("best_space_reach").is_not_null())
    parties = parties.sort("best_space_reach", "party", descending=[True, False]).head(CARDS[layout] // 2)
    cards = [
        _card(row["party"], _color(data.colors, row["party"]), number(row["best_space_reach"]), "its best Space")
        for row in parties.iter_rows(named=True)
    ]
    return f'{shown}<div class="pd-label">Each party\'s best Space</div><div class="pd-cards">{"".join(cards)}</div>'


def _before(previous: int | None) -> str:
    return f"previous record {number(previous)}" if previous is not None else "the first record"


def _share(display: Display, data: Dataset, tables: Tables, layout: str) -> str:
    shares = share_last_24h(tables.party_summary, display.parties)
    if shares.is_empty():
        return _nothing("No tweets in the last 24 hours of the data.")
    colors = data.colors | {OTHER_PARTIES: OTHER_COLOR}
    bar = "".join(
        f'<div style="width:{row["share_24h_pct"]:.3f}%;background:{_color(colors, row["party"])}"></div>'
        for row in shares.iter_rows(named=True)
    )
    cards = [
        _card(row["party"], _color(colors, row["party"]), number(row["share_24h_pct"], 1, "%"),
              f"{number(row['tweets_24h'])} tweets")
        for row in shares.head(CARDS[layout]).iter_rows(named=True)
    ]  # fmt: skip
    return (
        '<div class="pd-label">Share of all tweets in the last 24 hours</div>'
        f'<div class="pd-bar">{bar}</div><div class="pd-cards">{"".join(cards)}</div>'
    )


def _claims(display: Display, data: Dataset, tables: Tables, layout: str) -> str:
    """How many claims have each verdict, then the newest claims (by when they were made) with their verdicts: the
    Claims page's ledger, computed once per data version (session.claims_ledger)."""
    ledger = _parties(session.claims_ledger(data), display)
    if ledger.is_empty():
        return _nothing("No claims in the ledger yet.")
    cards = [
        _card(VERDICT_LABELS[verdict], VERDICT_COLORS[verdict], number(count), "claims")
        for verdict, count in verdict_counts(ledger).items()
    ]
    newest = ledger.sort("claimed_at", "claim_id", descending=True).head(NEWEST_CLAIMS[layout])
    lines = []
    for row in newest.iter_rows(named=True):
        at = row["claimed_at"].astimezone(ZoneInfo(data.tz))
        color = _color(data.colors, row["party"]) if row["party"] is not None else OTHER_COLOR
        lines.append(
            f'<div class="pd-alert" style="border-left:0.6vw solid {color};padding-left:0.6vw">'
            f'<span class="pd-when">{at:%-d %b}</span><b>{html.escape(VERDICT_LABELS[row["verdict"]])}</b> · '
            f"{html.escape(row['claimant'])}: {html.escape(row['claim_text'])}</div>"
        )
    return f'<div class="pd-cards pd-four">{"".join(cards)}</div><div style="margin-top:1.5vh">{"".join(lines)}</div>'


def _live(display: Display, data: Dataset, now: datetime, layout: str, css: str) -> None:
    """Each Space the watcher samples now and each stream live now, with its audience so far (pulse.ui.live's data
    and charts): the Spaces first, then the streams, the latest to start first."""
    directory = data_dir()
    shown = []
    status = live.read_status(directory, now)
    watching = status is not None and not isinstance(status, str) and status.running
    with user_errors():
        if watching:
            spaces, samples, colors, _ = live.live_now(directory, status)
            for space in _parties(spaces, display).iter_rows(named=True):
                audience = samples.filter(pl.col("space_id") == space["space_id"])
                color = _color(colors, space["party"])
                chart = space_audience(audience, data.tz, color) if audience.height else None
                listening = audience["participants"][-1] if audience.height else None
                title = f"{space['host']} · {space['title'] or 'untitled'}"
                shown.append((space["space_id"], space["party"], color, title, listening, "listening now", chart))
        streams, stream_samples = live.streams_now(directory)
    streaming = _parties(live_streams(streams, stream_samples, now), display)
    curves = audience_curves(None, stream_samples, stream_rows(streaming), data.tz)
    for stream in streaming.iter_rows(named=True):
        own = curves.filter(pl.col("id") == stream["stream_id"])
        chart = audience_chart(own, data.colors, data.tz, "Viewers during the stream", "Viewers at once")
        title = f"YouTube · {stream['channel_title'] or stream['channel_id']} · {stream['title'] or 'untitled'}"
        color = _color(data.colors, stream["party"])
        shown.append((stream["stream_id"], stream["party"], color, title, stream["viewers_now"], "watching now", chart))
    if not shown:
        idle = "No Space or stream is live now." if watching else "Nothing is live: pulse watch is not running."
        st.html(_live_block(css, _nothing(idle)))
        return
    first = shown[: LIVE_SHOWN[layout]]
    for column, (key, party, color, title, figure, label, chart) in zip(
        st.columns(len(first), gap="large"), first, strict=True
    ):
        card = _card(party, color, number(figure), label)
        column.html(_live_block(css, f'<div class="pd-label pd-line">{html.escape(title)}</div>{card}'))
        if chart is not None:
            figure_ = for_screen(chart, CHART_HEIGHT[layout], display.theme == "dark")
            column.plotly_chart(figure_, key=f"display-live-{key}", theme=None, config={"displayModeBar": False})
    more = len(shown) - len(first)
    if more > 0:
        st.html(_live_block(css, _nothing(f"and {more} more live")))


def _live_block(css: str, inner: str) -> str:
    return f'<div class="{css}" data-panel="live">{inner}</div>'
