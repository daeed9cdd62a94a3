"""`python -m pulse fetch-x ...` and `track-space` against a local server answering like the X API v2."""

import argparse
import json
import subprocess
import sys

import polars as pl
import pytest
from werkzeug import Request, Response

from pulse import cli_x
from pulse.cli import main
from pulse.data.load import load_dataset
from tests.conftest import FIXTURES, ROOT, utc
from tests.test_x_api import SPACE_QUERY, TOKEN, TOO_MANY, UNAUTHORIZED, count_page

SPACES_LOOKUP = json.loads((FIXTURES / "x_api" / "spaces_lookup.json").read_text(encoding="utf-8"))
STORED_SPACES = (
    "space_id,party,host,title,started_at,ended_at,total_listeners,peak_listeners,avg_listeners,source_url\n"
    "1DXxyRYNejbKM,PTI,PTI Official,Eve of the Lahore rally,2022-04-20T17:00:00Z,,446000,190000,165000,"
    "https://news.example/record\n"
)
ID = "1DXxyRYNejbKM"


@pytest.fixture
def x_env(httpserver, monkeypatch):
    """The token and the API root the commands read from the environment."""
    monkeypatch.setenv("X_BEARER_TOKEN", TOKEN)
    monkeypatch.setenv("X_API_BASE_URL", httpserver.url_for("/2"))
    monkeypatch.delenv("PULSE_DATA_DIR", raising=False)


@pytest.fixture
def hosts(tmp_path):
    path = tmp_path / "hosts.csv"
    path.write_text("host,party\n@TwitterDev,PTI\n783214,PML-N\n", encoding="utf-8")
    return path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert TOKEN not in out + err
    return code, out, err


def test_fetch_spaces_merges_and_keeps_what_the_api_does_not_know(httpserver, x_env, hosts, tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    (data / "spaces.csv").write_text(STORED_SPACES, encoding="utf-8")
    ids = [ID, "1YqJDqWYNQDGW", "1nAJErvvVXgxL"]
    httpserver.expect_request(
        "/2/spaces", query_string={"ids": ",".join(ids), **SPACE_QUERY}, headers={"Authorization": f"Bearer {TOKEN}"}
    ).respond_with_json(SPACES_LOOKUP)

    code, out, _ = run(capsys, "fetch-x", "spaces", "--ids", *ids, "--hosts", str(hosts), "--data", str(data))

    assert code == 0
    assert "Fetched 2 Space(s) with a party." in out
    assert f"spaces: 1 added, 1 updated, 0 unchanged (store: {data})" in out
    assert f"no party for these hosts (add them to {hosts}): independent_pk" in out
    spaces, _ = load_dataset(data, "spaces")
    record = spaces.row(0, named=True)
    # The API knows when it ended and who hosted it; the total, peak, average, title and source are the analyst's.
    assert record["ended_at"] == utc(2022, 4, 20, 20, 30)
    assert record["host"] == "TwitterDev"
    assert (record["total_listeners"], record["peak_listeners"], record["avg_listeners"]) == (446000, 190000, 165000)
    assert (record["title"], record["source_url"]) == ("Eve of the Lahore rally", "https://news.example/record")
    live = spaces.row(1, named=True)
    # participant_count (245) is who is in the Space now: never stored as the total.
    assert (live["space_id"], live["party"], live["total_listeners"]) == ("1YqJDqWYNQDGW", "PML-N", None)


def test_fetch_spaces_by_creators_with_base_url_flag(httpserver, hosts, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("X_BEARER_TOKEN", TOKEN)
    monkeypatch.setenv("X_API_BASE_URL", "http://127.0.0.1:9/unused")  # the flag wins over the environment
    httpserver.expect_request(
        "/2/spaces/by/creator_ids", query_string={"user_ids": "783214", **SPACE_QUERY}
    ).respond_with_json(
        {"data": [SPACES_LOOKUP["data"][1]], "includes": {"users": [SPACES_LOOKUP["includes"]["users"][1]]}}
    )
    code, out, _ = run(
        capsys,
        "fetch-x",
        "spaces",
        "--creators",
        "783214",
        "--hosts",
        str(hosts),
        "--data",
        str(tmp_path / "new-store"),
        "--base-url",
        httpserver.url_for("/2"),
    )
    assert code == 0
    assert "spaces: 1 added, 0 updated, 0 unchanged" in out
    assert "no party" not in out
    assert load_dataset(tmp_path / "new-store", "spaces")[0]["space_id"].to_list() == ["1YqJDqWYNQDGW"]


def test_fetch_counts_follows_pages_into_the_hashtags_dataset(httpserver, x_env, tmp_path, capsys):
    data = tmp_path / "data"
    first = {
        "query": "#ImranKhan",
        "granularity": "hour",
        "start_time": "2024-02-01T10:00:00Z",
        "end_time": "2024-02-01T18:00:00Z",
    }
    httpserver.expect_request("/2/tweets/counts/recent", query_string=first).respond_with_json(
        count_page([(15, 120), (16, 340)], next_token="page2")
    )
    httpserver.expect_request(
        "/2/tweets/counts/recent", query_string={**first, "next_token": "page2"}
    ).respond_with_json(count_page([(17, 95)]))
    httpserver.expect_request("/2/tweets/counts/recent", query_string={**first, "query": "#PMLN"}).respond_with_json(
        count_page([(16, 7)])
    )

    argv = ["fetch-x", "counts", "--hashtag", "#ImranKhan=PTI", "PMLN=PML-N", "--data", str(data)]
    # 15:00+05:00 is 10:00 UTC; a time without an offset is UTC already.
    code, out, _ = run(capsys, *argv, "--start", "2024-02-01T15:00:00+05:00", "--end", "2024-02-01T18:00:00")

    assert code == 0
    assert "Fetched 4 hourly count(s)." in out
    assert "hashtags: 4 added, 0 updated, 0 unchanged" in out
    stored, _ = load_dataset(data, "hashtags")
    assert sorted(stored.select("hashtag", "party", "period_start", "tweets").rows()) == [
        ("ImranKhan", "PTI", utc(2024, 2, 1, 15), 120),
        ("ImranKhan", "PTI", utc(2024, 2, 1, 16), 340),
        ("ImranKhan", "PTI", utc(2024, 2, 1, 17), 95),
        ("PMLN", "PML-N", utc(2024, 2, 1, 16), 7),
    ]

    # The hour still running grew since: a second fetch updates it, and nothing else.
    httpserver.clear()
    httpserver.expect_request("/2/tweets/counts/recent").respond_with_json(count_page([(16, 340), (17, 130)]))
    code, out, _ = run(capsys, "fetch-x", "counts", "--hashtag", "ImranKhan=PTI", "--data", str(data))
    assert code == 0
    assert "hashtags: 0 added, 1 updated, 1 unchanged" in out


def test_a_count_fetch_keeps_every_stored_spelling(httpserver, x_env, tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    stored = (
        "hashtag,party,period_start,tweets\n"
        "ImportedHakumatNaManzoor,PTI,2024-02-01T15:00:00Z,100\n"
        "PMLNJalsa,PML-N,2024-02-01T15:00:00Z,8\n"
        "امپورٹڈ_حکومت_نامنظور,PTI,2024-02-01T15:00:00Z,3\n"
    )
    (data / "hashtags.csv").write_text(stored, encoding="utf-8")
    httpserver.expect_request("/2/tweets/counts/recent").respond_with_json(count_page([(15, 120), (16, 30)]))
    # The analyst types it in lower case this time: X matches it all the same, and the store keeps its capitals.
    argv = ["fetch-x", "counts", "--hashtag", "importedhakumatnamanzoor=PTI", "--data", str(data)]
    code, out, _ = run(capsys, *argv, "--start", "2024-02-01T15:00:00Z", "--end", "2024-02-01T17:00:00Z")
    assert code == 0, out
    assert "hashtags: 1 added, 1 updated, 0 unchanged" in out
    assert (data / "hashtags.csv").read_text(encoding="utf-8").splitlines()[1:] == [
        "ImportedHakumatNaManzoor,PTI,2024-02-01T15:00:00.000000Z,120",
        "PMLNJalsa,PML-N,2024-02-01T15:00:00.000000Z,8",
        "امپورٹڈ_حکومت_نامنظور,PTI,2024-02-01T15:00:00.000000Z,3",
        "ImportedHakumatNaManzoor,PTI,2024-02-01T16:00:00.000000Z,30",
    ]


def test_a_partial_count_fetch_saves_what_arrived_and_exits_3(httpserver, x_env, tmp_path, capsys):
    data = tmp_path / "data"
    httpserver.expect_ordered_request("/2/tweets/counts/recent").respond_with_json(
        count_page([(15, 120), (16, 340)], next_token="page2")
    )
    httpserver.expect_ordered_request("/2/tweets/counts/recent").respond_with_json(
        TOO_MANY,
        status=429,
        headers={"x-rate-limit-reset": "4102444800"},  # 2100-01-01: too far to wait
    )
    code, out, err = run(capsys, "fetch-x", "counts", "--hashtag", "vote=PTI", "--data", str(data))
    assert code == 3
    assert "hashtags: 2 added" in out
    assert "stopped early, what was fetched is saved" in err and "rate limited until 00:00 UTC" in err
    assert load_dataset(data, "hashtags")[0].height == 2


def test_a_rejected_token_exits_2_without_showing_it(httpserver, hosts, tmp_path):
    httpserver.expect_request("/2/spaces").respond_with_json(UNAUTHORIZED, status=401)
    env = {"PATH": "/usr/bin:/bin", "X_BEARER_TOKEN": TOKEN, "X_API_BASE_URL": httpserver.url_for("/2")}
    result = subprocess.run(
        [sys.executable, "-m", "pulse", "fetch-x", "spaces", "--ids", ID, "--hosts", str(hosts)]
        + ["--data", str(tmp_path / "data")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "X API rejected the token (HTTP 401)" in result.stderr
    assert "Traceback" not in result.stderr
    assert TOKEN not in result.stdout + result.stderr and "secretBearer" not in result.stdout + result.stderr
    assert not (tmp_path / "data" / "spaces.csv").exists()


def test_no_token_is_a_clear_error(hosts, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("X_BEARER_TOKEN", raising=False)
    code, _, err = run(capsys, "fetch-x", "spaces", "--ids", ID, "--hosts", str(hosts), "--data", str(tmp_path))
    assert code == 2
    assert "no X API bearer token: set X_BEARER_TOKEN" in err


def test_a_missing_host_table_is_a_clear_error(x_env, tmp_path, capsys):
    code, _, err = run(capsys, "fetch-x", "spaces", "--ids", ID, "--hosts", str(tmp_path / "nope.csv"))
    assert code == 2
    assert "nope.csv not found: make a CSV with columns host,party" in err


def space_states(states: list[tuple[str, int | None]]):
    """A /spaces/:id handler answering each poll with the next (state, participant_count)."""
    polls = iter(states)

    def answer(request: Request) -> Response:
        state, count = next(polls)
        data = {"id": ID, "state": state} | ({"participant_count": count} if count is not None else {})
        return Response(json.dumps({"data": data}), content_type="application/json")

    return answer


def test_track_space_stores_each_sample_until_the_space_ends(httpserver, x_env, tmp_path, capsys):
    httpserver.expect_request(f"/2/spaces/{ID}").respond_with_handler(
        space_states([("live", 10), ("live", 30), ("ended", None)])
    )
    code, out, _ = run(capsys, "track-space", ID, "--every", "0.05s", "--data", str(tmp_path))
    assert code == 0
    samples = pl.read_csv(tmp_path / "space_samples.csv")
    assert samples.columns == ["space_id", "at", "participants"]
    assert samples["participants"].to_list() == [10, 30]
    assert "The Space has ended. 2 sample(s) stored by this run; 2 in all for this Space: peak 30" in out


def test_ctrl_c_stops_tracking_with_a_summary(httpserver, x_env, tmp_path, capsys, monkeypatch):
    httpserver.expect_request(f"/2/spaces/{ID}").respond_with_handler(space_states([("live", 12)]))

    def interrupted(seconds: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_x, "_wait", interrupted)
    code, out, _ = run(capsys, "track-space", f"https://x.com/i/spaces/{ID}?s=20", "--data", str(tmp_path))
    assert code == 0
    assert "Stopped. 1 sample(s) stored by this run; 1 in all for this Space: peak 12, average 12.0 listeners." in out
    assert pl.read_csv(tmp_path / "space_samples.csv")["participants"].to_list() == [12]


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("2m", 120), ("45", 45), ("1h", 3600), ("0.5s", 0.5)])
def test_intervals(text, seconds):
    assert cli_x.interval(text) == seconds


@pytest.mark.parametrize("text", ["", "0", "-5s", "5 minutes", "2d"])
def test_bad_intervals(text):
    with pytest.raises(argparse.ArgumentTypeError, match="not an interval"):
        cli_x.interval(text)


def test_a_partial_spaces_fetch_saves_what_arrived_names_unmapped_hosts_and_exits_3(
    httpserver, x_env, hosts, tmp_path, capsys
):
    data = tmp_path / "data"
    ids = [ID, "1YqJDqWYNQDGW", "1nAJErvvVXgxL", *(f"1Unknown{i:03d}" for i in range(98))]  # two lookups of 100
    httpserver.expect_ordered_request("/2/spaces").respond_with_json(SPACES_LOOKUP)
    httpserver.expect_ordered_request("/2/spaces").respond_with_json(
        TOO_MANY, status=429, headers={"x-rate-limit-reset": "4102444800"}
    )
    code, out, err = run(capsys, "fetch-x", "spaces", "--ids", *ids, "--hosts", str(hosts), "--data", str(data))
    assert code == 3
    assert out.splitlines() == [
        "Fetched 2 Space(s) with a party.",
        f"spaces: 2 added, 0 updated, 0 unchanged (store: {data})",
        f"Not saved, no party for these hosts (add them to {hosts}): independent_pk",
    ]
    assert "stopped early, what was fetched is saved" in err and "kept the 2 Space(s)" in err
    assert load_dataset(data, "spaces")[0].height == 2
