"""The Hashtags page's sections on authors: unique authors per day, and who drives each hashtag or campaign
(how concentrated its tweets are, copy-paste bursts)."""

from datetime import datetime

import streamlit as st

from pulse.charts.drivers import author_concentration
from pulse.charts.hashtags import hashtag_volume
from pulse.charts.theme import series_styles
from pulse.data.dataset import Dataset
from pulse.metrics.drivers import BURST_GAP_S, burst_min_accounts, driver_source, top_concentration, with_account_ids
from pulse.metrics.filters import Filters
from pulse.metrics.hashtags import top_series, unique_authors_daily
from pulse.metrics.recent import with_coverage
from pulse.ui.session import who_drives
from pulse.ui.settings import author_ids_key
from pulse.ui.widgets import chart, empty_state, table, user_errors


def unique_authors(data: Dataset, filters: Filters, span: tuple[datetime, datetime] | None, by: str, top: int) -> None:
    """Unique authors per day of the `top` hashtags by them, when the data has them (hashtag_authors_daily);
    nothing otherwise. Beside a view by campaign (`by`), of the hashtags of the campaigns shown. No line sums the
    rest: an account that used two hashtags would count twice."""
    if data.hashtags.authors_daily is not None:
        chosen = unique_authors_daily(data.hashtags.authors_daily, filters, data.hashtag_groups, by)
        authors = with_coverage(chosen, data.tz, span)
        lines = top_series(authors, "hashtag", top, "unique_authors")
        shown = lines.join(authors, on=["hashtag", "party"], maintain_order="left_right").select(authors.columns)
        styles = series_styles(lines, "hashtag", data.colors)
        chart(
            hashtag_volume(shown, "hashtag", "unique_authors", styles, data.tz, names=data.names),
            "unique_authors",
            shown,
        )
        st.caption(
            "**Unique authors**: accounts that used the hashtag that day, each counted once — a reach figure a few "
            "very active accounts cannot inflate. Shown per hashtag, as one account may use several spellings: "
            f"the {top} with the most."
        )


def who_drives_it(data: Dataset, filters: Filters, by: str) -> None:
    """Who tweets each hashtag or campaign (`by`), how concentrated, and the biggest copy-paste bursts."""
    found = who_drives(data, filters, by)
    if found is None:
        empty_state("No raw tweets with authors: add a raw_tweets file (docs/data.md) to see who drives each hashtag.")
    else:
        with user_errors():  # the data directory's author key is made on first use, which can fail
            key = author_ids_key()
        dataset, rows, drivers = found
        st.caption(driver_source(dataset, rows, data.hashtags.form, key is not None))
        table(drivers.drivers, f"{by}_drivers", data.tz, height=320)
        shares = top_concentration(drivers)
        chart(author_concentration(shares, by, data.colors), f"{by}_concentration", shares)
        if not drivers.has_text:
            empty_state("These tweets have no text: copy-paste bursts need the text column.")
        elif drivers.bursts.is_empty():
            empty_state(
                f"No copy-paste burst in the selected range ({burst_min_accounts()} or more accounts, "
                f"at most {BURST_GAP_S} s apart)."
            )
        else:
            st.markdown(
                f"**Biggest copy-paste bursts**: one text posted by many accounts, at most {BURST_GAP_S} s apart"
            )
            table(with_account_ids(drivers.bursts, key), "copy_bursts", data.tz)
