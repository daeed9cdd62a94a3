"""The Claims page's parts: the ledger's filters, each claim as a card with its verdict badge and a link to where
its measure lives, the table and its CSV, what the verdicts mean, and the editors' form to add a claim; and the
short mention of a claim on the Overview's latest Space and the Spaces page."""

from datetime import UTC, date, datetime, time

import polars as pl
import streamlit as st

from pulse.charts.claims import BADGE_COLORS
from pulse.config import claim_tolerances, time_zone
from pulse.data import ingest
from pulse.data.contract import CLAIM_COMPARISONS, CLAIM_METRICS, normalise_hashtag
from pulse.data.dataset import Dataset
from pulse.data.store import Store
from pulse.errors import PulseError, ValidationError
from pulse.escape import markdown_text
from pulse.metrics.claims import (
    REPORTED_NOT_MEASURED,
    VERDICT_LABELS,
    VERDICTS,
    as_decimal,
    claim_phrase,
    claims_about,
    verdict_counts,
)
from pulse.metrics.claims import shown as shown_number
from pulse.metrics.filters import Filters, in_parties
from pulse.metrics.hashtags import spellings
from pulse.ui import access, url_state
from pulse.ui.editor import writer
from pulse.ui.labels import counted, day_label, number
from pulse.ui.widgets import user_errors

CARDS_SHOWN = 30  # cards drawn; the table below and its CSV hold every claim
REPORT_NOTE = "Reported attendance is itself a report, not a measurement: a claim is set beside another report."
COLUMNS = {
    "claim_id": st.column_config.TextColumn("Claim"),
    "claimed_at": st.column_config.DatetimeColumn("Claimed", format="D MMM YYYY, HH:mm"),
    "claimant": st.column_config.TextColumn("Claimant"),
    "claim_text": st.column_config.TextColumn("Quote", width="large"),
    "subject_type": st.column_config.TextColumn("About"),
    "subject": st.column_config.TextColumn("Subject"),
    "metric": st.column_config.TextColumn("Metric"),
    "comparison": st.column_config.TextColumn("Comparison"),
    "claimed_value": st.column_config.NumberColumn("Claimed", format="localized"),
    "window_start": st.column_config.DateColumn("From", format="D MMM YYYY"),
    "window_end": st.column_config.DateColumn("To", format="D MMM YYYY"),
    "verdict": st.column_config.TextColumn("Verdict"),
    "measured_value": st.column_config.NumberColumn("Measured", format="localized"),
    "measured_as_of": st.column_config.DatetimeColumn("Measured as of", format="D MMM YYYY, HH:mm"),
    "claimed_to_measured": st.column_config.NumberColumn("Claimed ÷ measured", format="%.2f×"),
    "measured_all_data": st.column_config.NumberColumn("Measured, all data", format="localized"),
    "reason": st.column_config.TextColumn("Why", width="large"),
}
TABLE_FIRST = ("claim_id", "verdict", "claimant", "claim_text", "claimed_value", "measured_value", "reason")


def badge(verdict: str) -> None:
    """The verdict as a badge in its colour (the chart's line between claimed and measured has the same)."""
    st.badge(VERDICT_LABELS[verdict], color=BADGE_COLORS[verdict])


def filtered(ledger: pl.DataFrame, filters: Filters) -> pl.DataFrame:
    """The claims the page's controls pick: verdicts, claimants and subject types (kept in the URL), and the sidebar's
    parties (a claim of no party stays). The dates do not apply: each claim is measured as of its own moment."""
    columns = st.columns(3)
    with columns[0]:
        verdicts = url_state.choose(
            "Verdict", list(VERDICTS), "verdict", [], "verdicts", multi=True, format_func=VERDICT_LABELS.get
        )
    with columns[1]:
        claimants = sorted(ledger["claimant"].unique().to_list())
        who = url_state.choose("Claimant", claimants, "claimant", [], "claimants", multi=True)
    with columns[2]:
        kinds = url_state.choose("About", list(CLAIM_METRICS), "about", [], "subject types", multi=True)
    keep = in_parties(filters) | pl.col("party").is_null()
    for column, chosen in (("verdict", verdicts), ("claimant", who), ("subject_type", kinds)):
        if chosen:
            keep &= pl.col(column).is_in(chosen)
    return ledger.filter(keep)


def summary(ledger: pl.DataFrame) -> None:
    """How many claims have each verdict, as cards."""
    cards = st.columns(len(VERDICTS))
    for card, (verdict, count) in zip(cards, verdict_counts(ledger).items(), strict=True):
        card.metric(VERDICT_LABELS[verdict], number(count), border=True)


def where_it_lives(claim: dict, data: Dataset) -> tuple[str, str, dict]:
    """The page, label and query of the view where a claim's measure lives (a Space on the Spaces page)."""
    kind, subject = claim["subject_type"], claim["subject"].strip()
    if kind == "space":
        return "pages/1_Spaces.py", "The Space on Spaces", {"space": subject}
    if kind == "rally":
        return "pages/3_Rallies.py", "Rallies", {}
    if kind == "party":
        return "pages/4_Compare.py", "The parties on Compare", {}
    pairs = spellings(data.hashtags.counts["hashtag"], data.hashtag_groups)
    key = pl.Series([subject]).to_frame("s").select(normalise_hashtag(pl.col("s"))).item()
    column = "hashtag" if kind == "hashtag" else "campaign"
    match = pairs.filter((normalise_hashtag(pl.col(column)) == key) | (normalise_hashtag(pl.col("hashtag")) == key))
    if match.is_empty():
        return "pages/2_Hashtags.py", "Hashtags", {}
    lines = {} if kind == "hashtag" else {"lines": "Campaigns"}
    return "pages/2_Hashtags.py", f"#{match[column][0]} on Hashtags", lines | {column: match[column][0]}


def card(claim: dict, data: Dataset, tz: str) -> None:
    """One claim: its badge, quote, who said it when, what was measured as of then and over all the data, why,
    and links to its source and to where the measure lives."""
    with st.container(border=True, key=f"claim-{claim['claim_id']}"):
        head = st.columns([1, 4], vertical_alignment="center")
        with head[0]:
            badge(claim["verdict"])
        head[1].markdown(
            f"**{markdown_text(claim['claim_id'])}** · {markdown_text(claim['claimant'])} · "
            f"{day_label(claim['claimed_at'], tz)}"
        )
        st.markdown(f"> {markdown_text(claim['claim_text'])}")
        claimed = claim_phrase(claim["comparison"], as_decimal(claim["claimed_value"]))
        st.caption(
            markdown_text(
                f"Claimed: {claimed} · {claim['metric']} of {claim['subject_type']} {claim['subject']} · "
                f"measured as of {day_label(claim['measured_as_of'], tz)}: {_value(claim['measured_value'])} · "
                f"over all the data: {_value(claim['measured_all_data'])}"
            )
        )
        st.write(markdown_text(claim["reason"]))
        if claim["metric"] == REPORTED_NOT_MEASURED:
            st.caption(REPORT_NOTE)
        links = st.columns(2)
        page, label, query = where_it_lives(claim, data)
        links[0].page_link(page, label=label, icon=":material/open_in_new:", query_params=query)
        if claim["source_url"]:
            links[1].link_button("Source", claim["source_url"], icon=":material/link:")


def _value(value: float | None) -> str:
    return "–" if value is None else shown_number(as_decimal(value))


def cards(ledger: pl.DataFrame, data: Dataset) -> None:
    for claim in ledger.head(CARDS_SHOWN).iter_rows(named=True):
        card(claim, data, data.tz)
    if ledger.height > CARDS_SHOWN:
        st.caption(f"{CARDS_SHOWN} of {ledger.height:,} claims shown as cards; the table has them all.")


def table_order(ledger: pl.DataFrame) -> pl.DataFrame:
    """The ledger with the columns an editor reads first first; the CSV keeps every column."""
    return ledger.select(*TABLE_FIRST, pl.exclude(TABLE_FIRST))


def explanation() -> None:
    """What each verdict means, with the tolerances in force (settings)."""
    equals, about = (shown_number(t * 100) for t in claim_tolerances())
    with st.expander("How a claim is judged", icon=":material/gavel:"):
        st.markdown(
            f"Each claim is measured **as of** its moment: up to the end of its `window_end` day when given, else up "
            f"to `claimed_at`, and from `window_start` when given. *Equals* is accurate within **{equals} %** of the "
            f"claim (`PULSE_CLAIM_EQUALS_PCT`), *about* within **{about} %** (`PULSE_CLAIM_ABOUT_PCT`); *at least*, "
            "*more than*, *at most* and *less than* are exact; *largest* needs the subject first of its type, ties "
            "sharing first. Thresholds are inclusive and computed in decimals. A claim is **unverifiable** when its "
            "subject is not in the data, its value is unknown, or the data it counts has no rows in the window. "
            f"{REPORT_NOTE} See *How these numbers are computed* below."
        )


def mention(ledger: pl.DataFrame, space_id: str) -> None:
    """The latest claim about a Space, if any: its badge and quote, and how many more the Claims page has. Text, not
    a page link: the Spaces page also runs on its own (a link resolves only among the pages the entry declares)."""
    about = claims_about(ledger, "space", space_id)
    if about.is_empty():
        return
    claim = about.row(0, named=True)
    badge(claim["verdict"])
    more = f"{counted(about.height, 'claim')} about this Space on the Claims page"
    st.caption(f"“{markdown_text(claim['claim_text'])}” · {markdown_text(claim['claimant'])} · {more}")


# ---- Editors: add a claim -------------------------------------------------------------------------------------------

FORM_FILE = "claim-form.csv"


def add_claim_form(store: Store, configured_key: str | None) -> None:
    """A form for one claim, validated like an upload and merged by claim_id, recorded in the audit as this
    visitor's change; the role (or, without sign-in, the editor key) is checked on the server at the click."""
    if configured_key is None and not access.sign_in_on():
        st.info("Adding claims is off: no editor key is configured (`editor_key` in .streamlit/secrets.toml).")
        return
    with st.form("claim-form", clear_on_submit=False):
        first = st.columns(3)
        claim_id = first[0].text_input("Claim id", key="claim-id", placeholder="c-007")
        claimant = first[1].text_input("Claimant", key="claim-claimant", placeholder="PTI official account")
        source_url = first[2].text_input("Source (http or https)", key="claim-source")
        text = st.text_area("The words as quoted", max_chars=500, key="claim-text")
        second = st.columns(3)
        on = second[0].date_input("Claimed on (UTC)", value=None, key="claim-date", format="YYYY-MM-DD")
        at = second[1].time_input("At (UTC)", value=time(12), key="claim-time")
        kind = second[2].selectbox("About", list(CLAIM_METRICS), key="claim-kind")
        third = st.columns(3)
        subject = third[0].text_input("Subject: Space id, hashtag, campaign, party or rally id", key="claim-subject")
        every_metric = list(dict.fromkeys(m for metrics in CLAIM_METRICS.values() for m in metrics))
        metric = third[1].selectbox("Metric", every_metric, key="claim-metric")
        comparison = third[2].selectbox("Comparison", CLAIM_COMPARISONS, key="claim-comparison")
        fourth = st.columns(3)
        value = fourth[0].text_input("Claimed value (empty for largest)", key="claim-value")
        start = fourth[1].date_input("Counted from (local, optional)", value=None, key="claim-start")
        end = fourth[2].date_input("Counted to (local, optional)", value=None, key="claim-end")
        given = None if access.sign_in_on() else st.text_input("Editor key", type="password", key="claim-key")
        submitted = st.form_submit_button("Add the claim", type="primary", icon=":material/add:")
    if not submitted:
        return
    row = {
        "claim_id": claim_id,
        "claimed_at": "" if on is None else datetime.combine(on, at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "claimant": claimant,
        "claim_text": text,
        "source_url": source_url,
        "subject_type": kind,
        "subject": subject,
        "metric": metric,
        "comparison": comparison,
        "claimed_value": value.replace(",", "").strip(),
        "window_start": _iso(start),
        "window_end": _iso(end),
    }
    add_claim(store, row, given, configured_key)


def _iso(day: date | None) -> str:
    return "" if day is None else day.isoformat()


def claim_csv(row: dict[str, str]) -> bytes:
    """One claim as the CSV an upload of it would be (a field left blank an empty cell), so the form is validated
    exactly as a file is."""
    cells = {name: value.strip() or None for name, value in row.items()}
    return pl.DataFrame([cells], schema=dict.fromkeys(row, pl.String)).write_csv().encode("utf-8")


def add_claim(store: Store, row: dict[str, str], given_key: str | None, configured_key: str | None) -> None:
    """Validate one claim as an upload, then merge it into the store as this visitor's audited change."""
    try:
        inspected = ingest.inspect(claim_csv(row), FORM_FILE, "claims", source="claim form")
    except ValidationError as error:
        st.error(f"The claim was not added: {counted(error.total, 'problem')}.")
        st.dataframe(ingest.problems_table(error), hide_index=True, key="claim-problems", placeholder="")
        return
    except PulseError as error:
        st.error(markdown_text(error))
        return
    actor = writer(given_key, configured_key, "added")
    if actor is None:
        return
    with user_errors():
        done = ingest.merge(Store(store.root, store.allow_sample, actor), inspected, time_zone())
    verb = "Added" if done.added else "Updated"
    st.session_state["data-saved"] = f"{verb} claim {markdown_text(row['claim_id'])}: it is checked with the others."
    st.rerun()
