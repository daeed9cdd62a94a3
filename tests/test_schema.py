"""Every validation rule, one bad file each, with the exact line, column and value reported."""

import polars as pl
import pytest

from pulse.data import ingest
from pulse.data.contract import (
    DATASETS,
    EDITABLE,
    HASHTAG_COUNTS,
    HASHTAG_TWEETS,
    REGISTRY,
    SPACES,
    contract_for,
)
from pulse.data.load import read_table, validate_table
from pulse.errors import ValidationError
from tests.conftest import utc

SPACES_HEADER = "space_id,party,host,title,started_at,ended_at,total_listeners,peak_listeners,avg_listeners\n"
GOOD_SPACE = "s1,PTI,Imran Khan,Eve of Lahore,2022-04-20T17:00:00Z,2022-04-20T19:00:00Z,446000,200000,165000\n"


def problems(text: str, dataset: str, file: str = "bad.csv") -> list[str]:
    with pytest.raises(ValidationError) as caught:
        validate_table(read_table(text.encode(), file), dataset)
    return [str(p) for p in caught.value.problems]


def test_good_spaces_file_is_typed():
    frame, _ = validate_table(read_table((SPACES_HEADER + GOOD_SPACE).encode(), "spaces.csv"), "spaces")
    assert frame.row(0, named=True)["started_at"] == utc(2022, 4, 20, 17)
    assert frame.schema["total_listeners"] == pl.Int64
    assert frame.schema["avg_listeners"] == pl.Float64
    assert frame["source_url"].to_list() == [None]  # optional column absent from the file


def test_missing_required_column():
    assert problems("space_id,party\ns1,PTI\n", "spaces")[0] == (
        "bad.csv, column 'host': missing required column (found: space_id, party)"
    )


def test_unparsable_timestamp_names_line_column_value():
    bad = GOOD_SPACE + "s2,PTI,Imran Khan,,20/04/2022 22:00,,1000,,\n"
    assert problems(SPACES_HEADER + bad, "spaces") == [
        "bad.csv, line 3, column 'started_at': value '20/04/2022 22:00': "
        "not an ISO 8601 timestamp (e.g. 2022-04-20T17:00:00Z); it looks like a spreadsheet date: "
        "format the column as YYYY-MM-DD hh:mm and export again"
    ]


def test_unparsable_number():
    bad = "s2,PTI,Imran Khan,,2022-04-20T17:00:00Z,,lots,,\n"
    assert problems(SPACES_HEADER + bad, "spaces") == [
        "bad.csv, line 2, column 'total_listeners': value 'lots': not a whole number"
    ]


def test_negative_count():
    bad = "hashtag,party,period_start,tweets\nx,PTI,2022-04-20T17:00:00Z,5\nx,PTI,2022-04-20T18:00:00Z,-3\n"
    assert problems(bad, "hashtags") == ["bad.csv, line 3, column 'tweets': value '-3': a count cannot be negative"]


def test_duplicate_id():
    assert problems(SPACES_HEADER + GOOD_SPACE + GOOD_SPACE, "spaces") == [
        "bad.csv, line 3, column 'space_id': value 's1': duplicate space_id (first on line 2)"
    ]


def test_ended_before_started():
    bad = "s1,PTI,Imran Khan,,2022-04-20T17:00:00Z,2022-04-20T16:00:00Z,10,,\n"
    assert problems(SPACES_HEADER + bad, "spaces") == [
        "bad.csv, line 2, column 'ended_at': value '2022-04-20T16:00:00Z': ended_at is before started_at"
    ]


def test_starts_before_announced():
    bad = "rally_id,party,city,announced_at,starts_at\nlhr,PTI,Lahore,2022-04-18T10:00:00Z,2022-04-17T14:00:00Z\n"
    assert problems(bad, "rallies") == [
        "bad.csv, line 2, column 'starts_at': value '2022-04-17T14:00:00Z': starts_at is before announced_at"
    ]


def test_peak_above_total():
    bad = "s1,PTI,Imran Khan,,2022-04-20T17:00:00Z,,100,150,\n"
    assert problems(SPACES_HEADER + bad, "spaces") == [
        "bad.csv, line 2, column 'peak_listeners': value '150': "
        "peak_listeners is above total_listeners (the most at once cannot exceed all who joined)"
    ]


def test_avg_above_total():
    bad = "s1,PTI,Imran Khan,,2022-04-20T17:00:00Z,,100,,120\n"
    assert problems(SPACES_HEADER + bad, "spaces") == [
        "bad.csv, line 2, column 'avg_listeners': value '120': avg_listeners is above total_listeners"
    ]


def test_avg_above_peak():
    bad = "s1,PTI,Imran Khan,,2022-04-20T17:00:00Z,,100,50,60\n"
    assert problems(SPACES_HEADER + bad, "spaces") == [
        "bad.csv, line 2, column 'avg_listeners': value '60': avg_listeners is above peak_listeners"
    ]


def test_two_spellings_of_one_hashtag_in_the_groups_file_are_reported():
    # Both become 'importedhakumatnamanzoor' on load: one key, which would silently keep the first campaign.
    text = "hashtag,campaign\nImportedHakumatNaManzoor,Imported\nPTIPowerShow,Rallies\n"
    text += "#importedhakumatnamanzoor,Other\n"
    assert problems(text, "hashtag_groups") == [
        "bad.csv, line 4, column 'hashtag': value '#importedhakumatnamanzoor': "
        "duplicate hashtag (first on line 2; '#' and case are ignored)"
    ]


def test_spelling_variants_in_a_counts_file_are_not_duplicates():
    # A counts file may list each spelling of one hashtag in the same hour: they are summed, not rejected.
    text = "hashtag,party,period_start,tweets\n"
    text += "#Imported,PTI,2022-04-20T17:00:00Z,5\nimported,PTI,2022-04-20T17:00:00Z,2\n"
    frame, _ = validate_table(read_table(text.encode(), "hashtags.csv"), "hashtags")
    assert frame["hashtag"].to_list() == ["Imported", "Imported"]  # one spelling each: the tie goes to capitals


def test_duplicate_rally_announcement():
    bad = (
        "rally_id,party,city,announced_at,starts_at\n"
        "lhr,PTI,Lahore,2022-04-10T10:00:00Z,2022-04-23T14:00:00Z\n"
        "lhr,PTI,Lahore,2022-04-10T10:00:00Z,2022-04-21T14:00:00Z\n"
    )
    assert problems(bad, "rallies") == [
        "bad.csv, line 3, column 'rally_id': value 'lhr': duplicate rally_id/announced_at (first on line 2)"
    ]


def test_bad_party_colour():
    assert problems("party,name,color\nPTI,Tehreek,red\n", "parties") == [
        "bad.csv, line 2, column 'color': value 'red': color must be a hex colour such as #1F77B4"
    ]


def test_empty_required_value():
    bad = "s1,,Imran Khan,,2022-04-20T17:00:00Z,,100,,\n"
    assert problems(SPACES_HEADER + bad, "spaces") == ["bad.csv, line 2, column 'party': a value is required here"]


def test_every_problem_is_listed_not_just_the_first():
    bad = "s1,PTI,Imran Khan,,yesterday,,-5,,\ns1,PTI,Imran Khan,,2022-04-20T17:00:00Z,,x,,\n"
    assert len(problems(SPACES_HEADER + bad, "spaces")) == 4


def test_problem_list_is_capped_but_counts_all():
    rows = "".join(f"x,PTI,2022-04-20T{h:02d}:00:00Z,-1\n" for h in range(24)) * 3
    with pytest.raises(ValidationError) as caught:
        validate_table(read_table(("hashtag,party,period_start,tweets\n" + rows).encode(), "h.csv"), "hashtags")
    # 72 negative counts plus 48 duplicate keys; the report lists 50 and says how many more.
    assert caught.value.total == 120
    assert len(caught.value.problems) == 50
    assert caught.value.report().endswith("- ... and 70 more")


def test_timestamps_with_offsets_become_utc_and_without_are_utc():
    text = (
        "hashtag,party,period_start,tweets\n"
        "a,PTI,2022-04-20T22:00:00+05:00,1\n"
        "b,PTI,2022-04-20 17:00,1\n"
        "c,PTI,2022-04-20T17:00:00.5Z,1\n"
        "d,PTI,2022-04-21T01:30:00+0530,1\n"
    )
    frame, _ = validate_table(read_table(text.encode(), "h.csv"), "hashtags")
    assert frame["period_start"].to_list() == [
        utc(2022, 4, 20, 17),
        utc(2022, 4, 20, 17),
        utc(2022, 4, 20, 17, 0, 0, 500000),
        utc(2022, 4, 20, 20),
    ]


def test_hashtags_lose_the_hash_and_keep_their_spelling():
    text = "hashtag,party,period_start,tweets\n #ImportedHakumatNaManzoor ,PTI,2022-04-20T17:00:00Z,1\n"
    frame, _ = validate_table(read_table(text.encode(), "h.csv"), "hashtags")
    assert frame["hashtag"].to_list() == ["ImportedHakumatNaManzoor"]


def test_the_spelling_most_rows_use_is_kept_for_every_row():
    text = "hashtag,party,period_start,tweets\n"
    text += "imrankhan,PTI,2022-04-20T17:00:00Z,9\n#ImranKhan,PTI,2022-04-20T18:00:00Z,1\n"
    text += "ImranKhan,PTI,2022-04-20T19:00:00Z,1\nIMRANKHAN,PTI,2022-04-20T20:00:00Z,1\n"
    text += "Other,PTI,2022-04-20T17:00:00Z,1\n"
    frame, _ = validate_table(read_table(text.encode(), "h.csv"), "hashtags")
    # 'ImranKhan' is on two rows (one with '#'), the others on one each: rows count, not tweets.
    assert frame["hashtag"].to_list() == ["ImranKhan"] * 4 + ["Other"]


def test_unknown_hashtag_form():
    assert problems("tag,count\nx,1\n", "hashtags")[0].startswith(
        "bad.csv, line 1: value 'tag, count': not a hashtags file"
    )


def test_empty_file():
    assert problems("", "spaces") == ["bad.csv: the file is empty"]


def test_binary_file_named_csv():
    with pytest.raises(ValidationError) as caught:
        read_table(b"PK\x03\x04\x00\x00binary", "spaces.csv")
    assert str(caught.value.problems[0]) == "spaces.csv: this is a binary file, not a CSV text file"


def test_invalid_utf8_is_reported_by_line():
    with pytest.raises(ValidationError) as caught:
        read_table(b"space_id,party\ns1,PTI\nLahore \xff\xfe,PTI\n", "spaces.csv")
    assert [str(p) for p in caught.value.problems] == [
        "spaces.csv, line 3: value 'ff': bytes not valid UTF-8: save the file as CSV UTF-8"
    ]


def test_parquet_typed_columns_are_accepted(tmp_path):
    frame = pl.DataFrame(
        {
            "hashtag": ["#A"],
            "party": ["PTI"],
            "period_start": [utc(2022, 4, 20, 17)],
            "tweets": [3],
        }
    )
    frame.write_parquet(tmp_path / "h.parquet")
    typed, _ = validate_table(read_table(tmp_path / "h.parquet", "h.parquet"), "hashtags")
    assert typed.row(0) == ("A", "PTI", utc(2022, 4, 20, 17), 3)


def test_parquet_problems_name_the_row(tmp_path):
    pl.DataFrame(
        {
            "hashtag": ["a", "b"],
            "party": ["PTI", "PTI"],
            "period_start": [utc(2022, 4, 20), utc(2022, 4, 20)],
            "tweets": [1, -2],
        }
    ).write_parquet(tmp_path / "h.parquet")
    with pytest.raises(ValidationError) as caught:
        validate_table(read_table(tmp_path / "h.parquet", "h.parquet"), "hashtags")
    assert [str(p) for p in caught.value.problems] == [
        "h.parquet, row 2, column 'tweets': value '-2': a count cannot be negative"
    ]


def test_other_unparsable_timestamps_get_the_plain_reason():
    bad = "s2,PTI,Imran Khan,,yesterday,,1000,,\n"
    assert problems(SPACES_HEADER + bad, "spaces") == [
        "bad.csv, line 2, column 'started_at': value 'yesterday': not an ISO 8601 timestamp (e.g. 2022-04-20T17:00:00Z)"
    ]


def test_every_dataset_is_declared_once_in_the_registry():
    """DATASETS and EDITABLE are read from REGISTRY, in its order (the Data page lists them so)."""
    assert DATASETS == (
        "spaces",
        "hashtags",
        "rallies",
        "parties",
        "hashtag_groups",
        "space_samples",
        "streams",
        "stream_samples",
        "alerts",
        "raw_tweets",
        "claims",
        "hashtag_authors",
        "hashtag_author_days",
        "audit",
    )
    assert EDITABLE == (
        "spaces",
        "hashtags",
        "rallies",
        "parties",
        "hashtag_groups",
        "streams",
        "raw_tweets",
        "claims",
    )
    assert ingest.EDITABLE == EDITABLE
    assert tuple(entry.name for entry in REGISTRY) == DATASETS


def test_the_contract_of_a_file_comes_from_the_registry():
    assert contract_for("spaces", [], "spaces.csv") is SPACES
    assert contract_for("raw_tweets", ["tweet_id"], "raw.csv") is HASHTAG_TWEETS  # always the raw form
    assert contract_for("hashtags", ["created_at", "party", "hashtag"], "h.csv") is HASHTAG_TWEETS
    assert contract_for("hashtags", ["hashtag", "party", "period_start", "tweets"], "h.csv") is HASHTAG_COUNTS
    with pytest.raises(ValidationError):
        contract_for("hashtags", ["when"], "h.csv")
    with pytest.raises(KeyError):
        contract_for("nothing", [], "x.csv")


STREAMS_HEADER = "stream_id,platform,party,channel_id,title,started_at,ended_at,peak_viewers,avg_viewers\n"


def test_a_good_streams_file_is_typed_and_an_upcoming_stream_has_no_start():
    text = (
        STREAMS_HEADER + "v1,youtube,PTI,UC1,Jalsa,2022-04-21T15:00:00Z,,120000,80000.5\nv2,youtube,PTI,UC1,Next,,,,\n"
    )
    frame, _ = validate_table(read_table(text.encode(), "streams.csv"), "streams")
    assert frame.row(0, named=True)["started_at"] == utc(2022, 4, 21, 15)
    assert frame["peak_viewers"].to_list() == [120000, None]
    assert frame["rally_id"].to_list() == [None, None]  # optional column absent from the file


def test_a_stream_on_another_platform_or_with_its_average_above_its_peak_is_refused():
    text = (
        STREAMS_HEADER
        + "v1,twitch,PTI,UC1,,2022-04-21T15:00:00Z,,10,9\nv2,youtube,PTI,UC1,,2022-04-21T15:00:00Z,,10,11\n"
    )
    assert problems(text, "streams") == [
        "bad.csv, line 2, column 'platform': value 'twitch': platform must be one of youtube",
        "bad.csv, line 3, column 'avg_viewers': value '11': avg_viewers is above peak_viewers",
    ]


def test_stream_samples_are_keyed_by_stream_and_time():
    text = "stream_id,at,viewers\nv1,2022-04-21T15:00:00Z,5\nv1,2022-04-21T15:00:00Z,7\n"
    assert problems(text, "stream_samples") == [
        "bad.csv, line 3, column 'stream_id': value 'v1': duplicate stream_id/at (first on line 2)"
    ]
