"""Who drives a hashtag (pulse.metrics.drivers) against values computed by hand on small frames."""

import hashlib
import hmac
from datetime import date, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pulse.data.contract import local_date
from pulse.errors import PulseError
from pulse.metrics.drivers import (
    RAW_COLUMNS,
    burst_min_accounts,
    copy_bursts,
    driver_tables,
    normalise_text,
    with_account_ids,
)
from pulse.metrics.filters import Filters, in_dates
from tests.conftest import utc

TZ = "Asia/Karachi"
T0 = utc(2022, 4, 20, 17)
NO_GROUPS = pl.DataFrame(schema={"hashtag": pl.String, "campaign": pl.String})


def raw(rows):
    """(tweet_id, party, hashtag, author_id, created_at, text) tuples as validated raw tweets."""
    return pl.DataFrame(
        [(at, party, tag, tweet, author, text) for tweet, party, tag, author, at, text in rows],
        schema=RAW_COLUMNS,
        orient="row",
    )


def seconds(n: int):
    return T0 + timedelta(seconds=n)


def drivers(rows, key="hashtag", groups=NO_GROUPS, min_accounts=5):
    return driver_tables(rows, groups, Filters(), TZ, key, min_accounts)


def test_top_shares_with_a_tie_at_the_one_percent_cut():
    # 150 authors: the top 1 % is ceil(1.5) = 2 authors. a1 has 5 tweets; a2 and a3 tie with 3 each, so the top
    # two have 5 + 3 = 8 whichever of them is second (not 11). 147 authors have one tweet: 158 tweets in all.
    counts = {"a1": 5, "a2": 3, "a3": 3} | {f"s{i:03}": 1 for i in range(147)}
    rows = raw(
        (f"{author}-{i}", "PTI", "h", author, seconds(i), None) for author, n in counts.items() for i in range(n)
    )
    result = drivers(rows).drivers
    expected = pl.DataFrame(
        {
            "hashtag": ["h"],
            "party": ["PTI"],
            "tweets": [158],
            "authors": [150],
            "tweets_per_author": [158 / 150],
            "top1pct_share_pct": [8 / 158 * 100],
            "top10_share_pct": [(5 + 3 + 3 + 7) / 158 * 100],  # a1, a2, a3 and 7 single-tweet authors
            "single_tweet_authors_pct": [147 / 150 * 100],
            "copy_burst_share_pct": [None],  # no text, no bursts
        },
        schema_overrides={"copy_burst_share_pct": pl.Float64},
    )
    assert_frame_equal(result, expected, check_dtypes=False)


def test_a_tweet_with_two_hashtags_counts_once_in_a_campaign_and_once_per_hashtag():
    rows = raw(
        [
            ("t1", "PTI", "h", "a1", seconds(0), None),
            ("t1", "PTI", "g", "a1", seconds(0), None),  # the same tweet, its second hashtag
            ("t2", "PTI", "h", "a2", seconds(1), None),
            ("t3", "PTI", "g", "a2", seconds(2), None),
            (None, "PTI", "h", "a3", seconds(3), None),  # no tweet_id: each such row is a tweet
            (None, "PTI", "h", "a3", seconds(3), None),
        ]
    )
    by_tag = drivers(rows).drivers.select("hashtag", "tweets", "authors")
    assert by_tag.rows() == [("h", 4, 3), ("g", 2, 2)]
    groups = pl.DataFrame({"hashtag": ["h", "g"], "campaign": ["C", "C"]})
    campaign = drivers(rows, "campaign", groups).drivers.row(0, named=True)
    # t1, t2, t3 and the two rows without an id: 5 tweets; a1 1, a2 2, a3 2.
    assert campaign["campaign"] == "C" and campaign["tweets"] == 5 and campaign["authors"] == 3
    assert campaign["top1pct_share_pct"] == 2 / 5 * 100  # ceil(3 %) = 1 author with 2 tweets
    assert campaign["single_tweet_authors_pct"] == 1 / 3 * 100


def test_concentration_shares_of_the_top_1_10_and_50_percent_of_authors():
    counts = {"a1": 10, "a2": 5} | {f"s{i:02}": 1 for i in range(18)}  # 20 authors, 33 tweets
    rows = raw((f"{a}-{i}", "PPP", "h", a, seconds(i), None) for a, n in counts.items() for i in range(n))
    shares = drivers(rows).concentration
    # top 1 %: ceil(0.2) = 1 author; 10 %: 2 authors; 50 %: 10 authors (10 + 5 + 8 single-tweet ones)
    assert shares.select("hashtag", "party", "top").rows() == [("h", "PPP", 1), ("h", "PPP", 10), ("h", "PPP", 50)]
    assert shares["share_pct"].to_list() == pytest.approx([10 / 33 * 100, 15 / 33 * 100, 23 / 33 * 100])


def test_the_top_one_percent_of_700_authors_is_7_not_8():
    # 0.01 * 700 is 7.000000000000001 in floating point: a float ceil would take 8 authors.
    rows = raw((f"t{i}", "PPP", "h", f"a{i}", seconds(i), None) for i in range(700))
    assert drivers(rows).drivers["top1pct_share_pct"].item() == 1.0


def test_normalised_text_drops_case_urls_mentions_and_extra_spaces():
    texts = pl.Series(["RT @abc_1: Hello   WORLD https://t.co/x1 www.site.pk/a\n#Vote", "   @only   http://x.y "])
    assert pl.select(normalise_text(pl.lit(texts))).to_series().to_list() == ["rt : hello world #vote", ""]


BANG = "!" * 140
BURST_ROWS = [
    ("b1", "PTI", "h", "u1", seconds(0), "Vote NOW " + BANG + " https://t.co/a"),
    ("b1", "PTI", "h2", "u1", seconds(0), "Vote NOW " + BANG + " https://t.co/a"),  # a second hashtag
    ("b2", "PTI", "h", "u2", seconds(60), "vote  now " + BANG + " @friend"),  # exactly 60 s later: same episode
    ("b3", "PTI", "h", "u3", seconds(120), "vote now " + BANG),
    ("b4", "PPP", "h", "u4", seconds(180), "vote now " + BANG),
    ("b5", "PPP", "h", "u5", seconds(240), "vote now " + BANG),
    # 61 s apart: five episodes of one tweet each
    *[(f"o{i}", "PTI", "h", f"v{i}", seconds(61 * i), "Other text") for i in range(5)],
    # five tweets within a minute, but by four accounts
    *[(f"s{i}", "PTI", "g", f"w{min(i, 3)}", seconds(10 * i), "same") for i in range(5)],
    ("n1", "PTI", "g", "x1", seconds(0), "@only https://t.co/z"),  # nothing left once normalised: never a burst
]


def test_a_burst_needs_min_accounts_within_60_seconds_gaps():
    bursts, members = copy_bursts(raw(BURST_ROWS), 5)
    expected = pl.DataFrame(
        {
            "burst_id": [1],
            "text": [("Vote NOW " + BANG)[:140]],  # the first original text, cut to 140 characters
            "party": ["PTI"],  # 3 PTI tweets, 2 PPP
            "hashtags": ["h|h2"],
            "accounts": [5],
            "tweets": [5],  # b1 once, although it has two hashtags
            "first_at": [seconds(0)],
            "last_at": [seconds(240)],
            "account_ids": [["u1", "u2", "u3", "u4", "u5"]],
        },
        schema_overrides={"first_at": pl.Datetime("us", "UTC"), "last_at": pl.Datetime("us", "UTC")},
    )
    assert_frame_equal(bursts, expected)
    assert sorted(members.select("tweet_id", "hashtag").rows()) == [
        ("b1", "h"),
        ("b1", "h2"),
        ("b2", "h"),
        ("b3", "h"),
        ("b4", "h"),
        ("b5", "h"),
    ]


def test_a_gap_of_61_seconds_splits_the_episode():
    rows = raw((f"t{i}", "PTI", "h", f"a{i}", seconds(60 * i + (i >= 3)), "same words") for i in range(6))
    # gaps 60, 60, 61, 60, 60: episodes of 3 and 3 authors, neither a burst of 4; both are bursts of 3
    assert copy_bursts(rows, 4)[0].is_empty()
    assert copy_bursts(rows, 3)[0].select("accounts", "first_at").rows() == [(3, seconds(0)), (3, seconds(181))]


def test_fewer_accounts_make_a_burst_of_the_four_account_text():
    bursts, _ = copy_bursts(raw(BURST_ROWS), 4)
    # Ranked and numbered by accounts.
    assert bursts.select("burst_id", "text", "accounts", "tweets").rows() == [
        (1, ("Vote NOW " + BANG)[:140], 5, 5),
        (2, "same", 4, 5),
    ]


def test_bursts_are_numbered_in_the_order_they_are_listed():
    # The earliest burst has the fewest accounts: listed last, numbered last (it was listed 1, 3, 2).
    rows = raw(
        [(f"e{i}", "PTI", "h", f"e{i}", seconds(i), "early") for i in range(5)]
        + [(f"b{i}", "PTI", "h", f"b{i}", seconds(100 + i), "biggest") for i in range(7)]
        + [(f"m{i}", "PPP", "h", f"m{i}", seconds(200 + i), "middle") for i in range(6)]
    )
    bursts, _ = copy_bursts(rows, 5)
    assert bursts.select("burst_id", "text", "accounts").rows() == [
        (1, "biggest", 7),
        (2, "middle", 6),
        (3, "early", 5),
    ]


def test_copy_burst_share_per_hashtag_and_party():
    result = drivers(raw(BURST_ROWS)).drivers.select("hashtag", "party", "tweets", "copy_burst_share_pct")
    assert sorted(result.rows()) == [
        ("g", "PTI", 6, 0.0),
        ("h", "PPP", 2, 100.0),
        ("h", "PTI", 8, 3 / 8 * 100),  # b1, b2, b3 of b1-b3 and o0-o4
        ("h2", "PTI", 1, 100.0),
    ]


def test_burst_min_accounts_setting(monkeypatch):
    monkeypatch.delenv("PULSE_BURST_MIN_ACCOUNTS", raising=False)
    assert burst_min_accounts() == 5
    monkeypatch.setenv("PULSE_BURST_MIN_ACCOUNTS", "4")
    assert burst_min_accounts() == 4
    for bad in ("1", "-5", "five", "1e9x"):
        monkeypatch.setenv("PULSE_BURST_MIN_ACCOUNTS", bad)
        with pytest.raises(PulseError, match="PULSE_BURST_MIN_ACCOUNTS must be a whole number of at least 2"):
            burst_min_accounts()


def test_account_ids_are_keyed_hashes_unless_raw_ids_are_allowed():
    bursts, _ = copy_bursts(raw(BURST_ROWS), 5)
    hashed = with_account_ids(bursts, b"salt")["account_ids"].item().split("|")
    assert hashed == [
        "a-" + hmac.new(b"salt", u.encode(), hashlib.sha256).hexdigest()[:12] for u in ("u1", "u2", "u3", "u4", "u5")
    ]
    assert with_account_ids(bursts, b"other")["account_ids"].item().split("|") != hashed
    assert with_account_ids(bursts, None)["account_ids"].item() == "u1|u2|u3|u4|u5"


def test_dates_and_parties_filter_the_tweets():
    rows = raw(BURST_ROWS)
    tables = driver_tables(rows, NO_GROUPS, Filters(parties=("PPP",)), TZ, "hashtag", 5)
    assert tables.drivers.select("hashtag", "party", "tweets").rows() == [("h", "PPP", 2)]
    assert tables.bursts.is_empty()  # two accounts of PPP
    later = driver_tables(rows, NO_GROUPS, Filters(start=T0.date() + timedelta(days=1)), TZ, "hashtag", 5)
    assert later.drivers.is_empty() and not later.has_text


def test_tweets_without_an_author_count_as_tweets_but_not_as_authors():
    rows = raw(
        [
            ("t1", "PTI", "h", "a1", seconds(0), None),
            ("t2", "PTI", "h", "a1", seconds(1), None),
            ("t3", "PTI", "h", None, seconds(2), None),  # a deleted account
            ("t4", "PPP", "h", None, seconds(3), None),  # a party with no known author at all
        ]
    )
    result = drivers(rows).drivers.select("party", "tweets", "authors", "top1pct_share_pct", "tweets_per_author")
    assert result.rows() == [("PTI", 3, 1, 2 / 3 * 100, 3.0), ("PPP", 1, 0, None, None)]


@pytest.mark.parametrize("tz", ["Asia/Karachi", "Asia/Kolkata", "Europe/London"])
def test_the_date_filter_as_utc_instants_keeps_exactly_the_local_days(tz):
    # Every 15 minutes over two weeks that include London's change to summer time (27 March 2022).
    times = pl.DataFrame(
        {"at": pl.datetime_range(utc(2022, 3, 20), utc(2022, 4, 3), "15m", time_zone="UTC", eager=True)}
    )
    chosen = Filters(date(2022, 3, 26), date(2022, 3, 28))
    fast = times.filter(in_dates(pl.col("at"), chosen, tz))
    slow = times.filter(in_dates(local_date(pl.col("at"), tz), chosen))
    assert_frame_equal(fast, slow)
    assert fast.height == (3 * 24 - (tz == "Europe/London")) * 4  # the spring-forward day is 23 hours long
