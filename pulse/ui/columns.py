"""How each column of a table reads on screen: its header, help text and number or date format, by column name."""

import streamlit as st

from pulse.ui.labels import AS_OF_HELP, GROWTH_FORMAT
from pulse.watch.alerts import KIND_LABELS, KINDS

_COUNT = "localized"
SUMMARY_COLUMNS = {
    "party": st.column_config.TextColumn("Party"),
    "spaces": st.column_config.NumberColumn("Spaces", format=_COUNT),
    "spaces_reach": st.column_config.NumberColumn(
        "Spaces reach", help="Sum of total listeners of the party's Spaces (unknown totals skipped)", format=_COUNT
    ),
    "best_space_reach": st.column_config.NumberColumn("Best Space", format=_COUNT),
    "tweets": st.column_config.NumberColumn("Tweets", format=_COUNT),
    "share_of_voice_pct": st.column_config.NumberColumn("Share of voice", format="%.1f%%"),
    "rallies": st.column_config.NumberColumn("Rallies", format=_COUNT),
    "as_of": st.column_config.DatetimeColumn("As of", help=AS_OF_HELP, format="D MMM YYYY, HH:mm"),
    "tweets_24h": st.column_config.NumberColumn("Last 24 h", help="Tweets in the 24 h to as of", format=_COUNT),
    "tweets_prev_24h": st.column_config.NumberColumn("24 h before", format=_COUNT),
    "growth_24h_pct": st.column_config.NumberColumn("24 h growth", format=GROWTH_FORMAT),
    "tweets_7d": st.column_config.NumberColumn("Last 7 days", help="Tweets in the 168 h to as of", format=_COUNT),
    "tweets_prev_7d": st.column_config.NumberColumn("7 days before", format=_COUNT),
    "growth_7d_pct": st.column_config.NumberColumn("7-day growth", format=GROWTH_FORMAT),
}


STORE_COLUMNS = {
    "dataset": st.column_config.TextColumn("Dataset"),
    "file": st.column_config.TextColumn("File"),
    "size_kb": st.column_config.NumberColumn("Size (KB)", format="localized"),
    "last_saved": st.column_config.DatetimeColumn("Last saved (UTC)", format="YYYY-MM-DD HH:mm"),
    "versions_to_undo": st.column_config.NumberColumn("Earlier versions"),
}


_LOCAL = "D MMM YYYY, HH:mm"
COLUMNS = {
    **SUMMARY_COLUMNS,
    "rank": st.column_config.NumberColumn("#", width="small"),
    "space_id": st.column_config.TextColumn("Space"),
    "host": st.column_config.TextColumn("Host"),
    "title": st.column_config.TextColumn("Title"),
    "started_at": st.column_config.DatetimeColumn("Started", format=_LOCAL),
    "ended_at": st.column_config.DatetimeColumn("Ended", format=_LOCAL),
    "total_listeners": st.column_config.NumberColumn(
        "Reach", help="Total listeners: unique accounts that joined", format=_COUNT
    ),
    "peak_listeners": st.column_config.NumberColumn("Peak", help="Most listeners at once", format=_COUNT),
    "avg_listeners": st.column_config.NumberColumn("Average", help="Average listeners at once", format="%,.0f"),
    "retention_pct": st.column_config.NumberColumn("Retention", help="Average / total listeners", format="%.0f%%"),
    "listener_minutes": st.column_config.NumberColumn(
        "Listener-min", help="Average listeners × minutes", format="compact"
    ),
    "record_multiple": st.column_config.NumberColumn(
        "× record", help="Total listeners / the largest earlier Space (any party)", format="%.2f×"
    ),
    "is_record": st.column_config.CheckboxColumn("New record"),
    "benchmark_listeners": st.column_config.NumberColumn(
        "Party's usual", help="Trimmed mean total of the party's 20 most recent earlier Spaces", format="%,.0f"
    ),
    "overperforming": st.column_config.NumberColumn(
        "× usual", help="Total listeners / the party's usual (empty with fewer than 4 earlier Spaces)", format="%.1f×"
    ),
    "duration_min": st.column_config.NumberColumn("Minutes", format="%.0f"),
    "source_url": st.column_config.LinkColumn("Source", display_text="source"),
    "previous_record": st.column_config.NumberColumn("Previous record", format=_COUNT),
    "median_space_reach": st.column_config.NumberColumn("Median Space", format="%,.0f"),
    "compared": st.column_config.TextColumn(""),
    "hashtag": st.column_config.TextColumn("Hashtag"),
    "campaign": st.column_config.TextColumn("Campaign"),
    "date": st.column_config.DateColumn("Date", format="D MMM YYYY"),
    "period_start": st.column_config.DatetimeColumn("Hour", format=_LOCAL),
    "growth_pct": st.column_config.NumberColumn("Day growth", format=GROWTH_FORMAT),
    "rolling_7d": st.column_config.NumberColumn("7-day avg", format="%,.0f"),
    "cumulative": st.column_config.NumberColumn("Cumulative", format=_COUNT),
    "trailing_mean": st.column_config.NumberColumn("14-day mean", format="%,.0f"),
    "spike_ratio": st.column_config.NumberColumn("× 14-day mean", format="%.1f×"),
    "is_spike": st.column_config.CheckboxColumn("Spike"),
    "share_of_party_pct": st.column_config.NumberColumn("Share of party", format="%.1f%%"),
    "hours_covered": st.column_config.NumberColumn("Hours", help="Hours of the day the data covers", format="%g"),
    "partial_day": st.column_config.CheckboxColumn("Partial day"),
    "peak_day": st.column_config.DateColumn("Peak day", format="D MMM"),
    "peak_day_tweets": st.column_config.NumberColumn("Peak-day tweets", format=_COUNT),
    "peak_hour": st.column_config.DatetimeColumn("Peak hour", format="D MMM, HH:mm"),
    "peak_hour_tweets": st.column_config.NumberColumn("Peak-hour tweets", format=_COUNT),
    "spike_days": st.column_config.NumberColumn("Spike days", format=_COUNT),
    "rally_id": st.column_config.TextColumn("Rally"),
    "city": st.column_config.TextColumn("City"),
    "venue": st.column_config.TextColumn("Venue"),
    "announcement": st.column_config.NumberColumn("Ann. #", help="1 = first announcement of this rally"),
    "announced_at": st.column_config.DatetimeColumn("Announced", format=_LOCAL),
    "starts_at": st.column_config.DatetimeColumn("Rally date", format=_LOCAL),
    "previous_starts_at": st.column_config.DatetimeColumn("Moved from", format=_LOCAL),
    "moved_days": st.column_config.NumberColumn("Moved (days)", format="%+.1f"),
    "lead_days": st.column_config.NumberColumn("Lead (days)", help="From announcement to rally", format="%.1f"),
    "is_current": st.column_config.CheckboxColumn("Current"),
    "reported_attendance": st.column_config.NumberColumn("Attendance", format=_COUNT),
    "announcements": st.column_config.NumberColumn("Announcements"),
    "first_announced_at": st.column_config.DatetimeColumn("First announced", format=_LOCAL),
    "lat": st.column_config.NumberColumn("Lat", format="%.2f"),
    "lon": st.column_config.NumberColumn("Lon", format="%.2f"),
    "event_type": st.column_config.TextColumn("Kind"),
    "event_id": st.column_config.TextColumn("Id"),
    "at": st.column_config.DatetimeColumn("When", format=_LOCAL),
    "baseline": st.column_config.NumberColumn("Usual day", help="Party tweets per day, 7 days before", format="%,.0f"),
    "after_24h": st.column_config.NumberColumn("First 24 h", format=_COUNT),
    "lift": st.column_config.NumberColumn("Lift", help="First 24 h / usual day", format="%.1f×"),
    "event": st.column_config.TextColumn("Key", help="The event's key, as in a link to this view"),
    "label": st.column_config.TextColumn("Event"),
    "window_before": st.column_config.NumberColumn(
        "7 d before", help="Party tweets in the 7 days before", format=_COUNT
    ),
    "window_after": st.column_config.NumberColumn("3 d after", help="Party tweets in the 3 days after", format=_COUNT),
    "peak_offset": st.column_config.NumberColumn("Peak at", help="Hours from the event", format="%+d h"),
    "peak_tweets": st.column_config.NumberColumn("Peak hour", help="Tweets in the busiest hour", format=_COUNT),
    "offset": st.column_config.NumberColumn("From event"),
    "measure": st.column_config.TextColumn("Measure"),
    "leader": st.column_config.TextColumn("Leads"),
    "participants": st.column_config.NumberColumn("Listeners", format=_COUNT),
    "authors": st.column_config.NumberColumn("Authors", format=_COUNT),
    "tweets_per_author": st.column_config.NumberColumn("Tweets / author", format="%.1f"),
    "top1pct_share_pct": st.column_config.NumberColumn(
        "Top 1 % share", help="Share of tweets by the most active 1 % of authors", format="%.0f%%"
    ),
    "top10_share_pct": st.column_config.NumberColumn(
        "Top 10 share", help="Share of tweets by the 10 most active authors", format="%.0f%%"
    ),
    "single_tweet_authors_pct": st.column_config.NumberColumn(
        "One-tweet authors", help="Authors with exactly one tweet", format="%.0f%%"
    ),
    "copy_burst_share_pct": st.column_config.NumberColumn(
        "In copy bursts", help="Share of tweets in a copy-paste burst", format="%.1f%%"
    ),
    "burst_id": st.column_config.NumberColumn("Burst", width="small"),
    "text": st.column_config.TextColumn("Text (first copy)", width="large"),
    "hashtags": st.column_config.TextColumn("Hashtags"),
    "accounts": st.column_config.NumberColumn("Accounts", format=_COUNT),
    "first_at": st.column_config.DatetimeColumn("First", format=_LOCAL),
    "last_at": st.column_config.DatetimeColumn("Last", format="HH:mm:ss"),
    "account_ids": st.column_config.TextColumn("Accounts (first 20)"),
    "stream_id": st.column_config.TextColumn("Stream"),
    "channel_title": st.column_config.TextColumn("Channel"),
    "peak_viewers": st.column_config.NumberColumn("Peak", help="Most viewers at once (measured)", format=_COUNT),
    "avg_viewers": st.column_config.NumberColumn("Average", help="Time-weighted average viewers", format="%,.0f"),
    "viewer_minutes": st.column_config.NumberColumn("Viewer-min", help="Average viewers × minutes", format="compact"),
    "rally_link": st.column_config.TextColumn(
        "Linked", help="given: the stream names its rally; nearest: its party's rally within 6 h of its start"
    ),
    "streams": st.column_config.NumberColumn("Streams", format=_COUNT),
    "platform": st.column_config.TextColumn("Platform"),
    "who": st.column_config.TextColumn("Host or channel"),
    "peak": st.column_config.NumberColumn("Most at once", format=_COUNT),
    "average": st.column_config.NumberColumn("Average at once", format="%,.0f"),
    "id": st.column_config.TextColumn("Id"),
}


ALERT_COLUMNS = {
    "alert_id": None,  # the machine key: in the CSV, not on screen
    "raised_at": st.column_config.DatetimeColumn("Raised", format=_LOCAL),
    "kind": st.column_config.SelectboxColumn("Kind", width=125, options=KINDS, format_func=KIND_LABELS.get),
    "party": st.column_config.TextColumn("Party"),
    "subject": st.column_config.TextColumn("About"),
    "value": st.column_config.NumberColumn("Value", format=_COUNT),
    "baseline": st.column_config.NumberColumn(
        "Compared with", help="The usual level (spike) or the record passed (Space)", format=_COUNT
    ),
    "message": st.column_config.TextColumn("Message", width="large"),
    "delivered": st.column_config.CheckboxColumn("Delivered", help="Taken by every webhook"),
    "error": st.column_config.TextColumn("Last delivery error"),
}
