"""The YouTube Data API connector against a local fake (tests/fake_youtube.py): ids and links, the three endpoints,
pagination, hidden counts, a stream's lifetime, the quota per Pacific-time day, and a rejected key."""

from datetime import UTC, datetime, timedelta

import pytest
import requests

from pulse.connectors.youtube import (
    KEY_ENV,
    KeyRejected,
    Quota,
    QuotaExceeded,
    YouTubeClient,
    channel_id_from,
    key_from_env,
    poll_stream,
    quota_reset,
    track_stream,
    video_id_from,
)
from pulse.connectors.youtube_frames import streams_frame
from pulse.errors import FetchError, PulseError
from tests.fake_youtube import KEY, PREFIX, FakeStream, Step

CHANNEL = "UCabcdefghijklmnopqrstuv"
VIDEO = "rallyLive01"
T0 = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def client_for(httpserver, key: str = KEY, quota: Quota | None = None, at: datetime = T0) -> YouTubeClient:
    return YouTubeClient(key, base_url=httpserver.url_for(PREFIX), quota=quota, clock=lambda: at.timestamp())


def rally_stream(script: list[Step]) -> FakeStream:
    return FakeStream(
        VIDEO,
        CHANNEL,
        "Jalsa live <b>Lahore</b>",
        script,
        scheduled_at=T0,
        started_at=T0 + timedelta(minutes=3),
        ended_at=T0 + timedelta(hours=2),
    )


@pytest.mark.parametrize(
    "given",
    [
        "rallyLive01",
        " https://www.youtube.com/watch?v=rallyLive01&t=30s ",
        "https://youtu.be/rallyLive01?si=x",
        "youtube.com/live/rallyLive01",
        "https://m.youtube.com/shorts/rallyLive01",
    ],
)
def test_a_video_id_from_the_id_or_a_link(given):
    assert video_id_from(given) == "rallyLive01"


@pytest.mark.parametrize(
    "given", ["", "rallyLive0", "rally/Live01", "https://evil.example/watch?v=rallyLive01", "../videos?x"]
)
def test_anything_else_is_refused_before_a_request(given):
    with pytest.raises(PulseError, match="not a YouTube video id"):
        video_id_from(given)


def test_a_channel_id_alone_or_from_its_link_and_a_handle_refused():
    assert channel_id_from(f"https://www.youtube.com/channel/{CHANNEL}/live") == CHANNEL
    with pytest.raises(PulseError, match="@handle"):
        channel_id_from("@PTIofficial")


def test_a_stream_going_live_rising_falling_and_ending_is_sampled_to_its_end(httpserver, youtube):
    youtube.streams = [
        rally_stream([Step("upcoming"), Step("live", 1200), Step("live", 5400), Step("live", 2100), Step("ended")])
    ]
    client = client_for(httpserver)
    samples, pauses, clock = [], [], [0.0]

    def sleep(seconds: float) -> None:
        pauses.append(seconds)
        clock[0] += seconds + 0.5  # each poll takes half a second, which the next pause makes up for

    final = track_stream(client, VIDEO, 30, lambda *s: samples.append(s), sleep=sleep, now=lambda: clock[0])
    assert [viewers for _, _, viewers in samples] == [1200, 5400, 2100]
    assert {video for video, _, _ in samples} == {VIDEO}
    assert final.ended_at == T0 + timedelta(hours=2) and final.viewers is None
    assert pauses == [30.0, 29.5, 29.5, 29.5]  # a fixed rate: four polls before the one that saw the end
    assert client.quota.spent == 5  # one videos.list a poll, 1 unit each
    assert youtube.asked == [f"videos {VIDEO}"] * 5


def test_a_hidden_count_takes_no_sample(httpserver, youtube):
    youtube.streams = [rally_stream([Step("live", None), Step("live", 800), Step("live", None), Step("ended")])]
    samples = []
    track_stream(client_for(httpserver), VIDEO, 30, lambda *s: samples.append(s[2]), sleep=lambda s: None)
    assert samples == [800]


def test_a_count_that_is_no_count_is_an_error_of_that_request(httpserver, youtube):
    youtube.streams = [rally_stream([Step("live", 10)])]
    youtube.streams[0].item = lambda: {
        "id": VIDEO,
        "snippet": {"liveBroadcastContent": "live"},
        "liveStreamingDetails": {"concurrentViewers": "1e99"},
    }
    with pytest.raises(FetchError, match="concurrentViewers '1e99' is not a count"):
        poll_stream(client_for(httpserver), VIDEO)


def test_playlist_items_are_followed_page_by_page_up_to_the_limit(httpserver, youtube):
    uploads = [f"upload{n:05d}" for n in range(7)]
    youtube.uploads = {CHANNEL: uploads}
    youtube.page_size = 3
    client = client_for(httpserver)
    playlist = client.uploads_playlist(CHANNEL)
    assert playlist == "UUabcdefghijklmnopqrstuv"
    assert client.newest_video_ids(playlist) == uploads
    assert youtube.asked[1:] == [
        f"playlistItems {playlist}",
        f"playlistItems {playlist} page3",
        f"playlistItems {playlist} page6",
    ]
    assert client.newest_video_ids(playlist, limit=4) == uploads[:4]  # two pages, not three
    assert client.quota.spent == 1 + 3 + 2


def test_an_upcoming_stream_is_found_with_its_schedule_and_later_live(httpserver, youtube):
    youtube.uploads = {CHANNEL: [VIDEO, "oldclip0001"]}
    youtube.streams = [rally_stream([Step("upcoming"), Step("live", 300)])]
    client, uploads = client_for(httpserver), {}
    (upcoming,) = client.channel_streams([CHANNEL], uploads)
    assert (upcoming.state, upcoming.scheduled_at, upcoming.started_at) == ("upcoming", T0, None)
    (live,) = client.channel_streams([CHANNEL], uploads)
    assert (live.state, live.started_at, live.viewers) == ("live", T0 + timedelta(minutes=3), 300)
    assert [a.split()[0] for a in youtube.asked] == ["channels", "playlistItems", "videos", "playlistItems", "videos"]
    frame = streams_frame([live], "PTI")
    assert frame.select("stream_id", "platform", "party", "channel_id", "title", "source_url").row(0) == (
        VIDEO,
        "youtube",
        "PTI",
        CHANNEL,
        "Jalsa live <b>Lahore</b>",
        f"https://www.youtube.com/watch?v={VIDEO}",
    )


@pytest.mark.parametrize("reason", ["quotaExceeded", "dailyLimitExceeded"])
def test_quota_exceeded_part_way_stops_every_later_call_until_midnight_pacific(httpserver, youtube, reason):
    youtube.quota_reason = reason
    youtube.streams = [rally_stream([Step("live", 100), Step("live", 200), Step("live", 300)])]
    youtube.quota_after = 2  # the first two requests are answered, then quotaExceeded
    samples = []
    client = client_for(httpserver)
    with pytest.raises(QuotaExceeded, match="quota is spent") as raised:
        track_stream(client, VIDEO, 30, lambda *s: samples.append(s[2]), sleep=lambda s: None)
    assert samples == [100, 200]  # what came before the limit was handed on
    # 2026-12-07 12:00 UTC is 04:00 PST: the quota resets at midnight PST, 08:00 UTC the next day.
    assert raised.value.reset_at == datetime(2026, 12, 8, 8, 0, tzinfo=UTC)
    asked = len(youtube.asked)
    with pytest.raises(QuotaExceeded):
        client.video(VIDEO)
    assert len(youtube.asked) == asked  # not asked again: a spent quota answers nothing until the reset


def test_the_quota_is_counted_per_pacific_day_and_refuses_a_call_beyond_the_daily_units():
    quota = Quota(daily=2)
    before_reset = datetime(2026, 12, 8, 7, 59, tzinfo=UTC)  # 23:59 PST on the 7th
    quota.spend(1, before_reset)
    quota.spend(1, before_reset)
    with pytest.raises(QuotaExceeded) as raised:
        quota.spend(1, before_reset)
    assert raised.value.reset_at == datetime(2026, 12, 8, 8, 0, tzinfo=UTC)
    quota.spend(1, datetime(2026, 12, 8, 8, 0, tzinfo=UTC))  # a new Pacific day
    assert (quota.day, quota.spent) == ("2026-12-08", 1)
    assert quota_reset(datetime(2026, 7, 1, 12, tzinfo=UTC)) == datetime(2026, 7, 2, 7, 0, tzinfo=UTC)  # PDT


def test_an_invalid_key_is_rejected_with_a_message_naming_where_to_put_it(httpserver, youtube):
    youtube.streams = [rally_stream([Step("live", 100)])]
    wrong = "AIzaSyWRONG-key_0123456789abcdefghijkl"
    with pytest.raises(KeyRejected, match=f"rejected the API key .HTTP 400.*{KEY_ENV}") as raised:
        client_for(httpserver, key=wrong).video(VIDEO)
    assert wrong not in str(raised.value)


def test_a_403_that_is_not_about_quota_is_a_rejected_key(httpserver):
    body = {
        "error": {
            "code": 403,
            "message": "YouTube Data API v3 has not been used",
            "errors": [{"reason": "accessNotConfigured"}],
        }
    }
    httpserver.expect_request(f"{PREFIX}/videos").respond_with_json(body, status=403)
    with pytest.raises(KeyRejected, match="HTTP 403"):
        client_for(httpserver).video(VIDEO)


def test_the_key_goes_in_a_header_never_in_the_url_and_an_echo_of_it_is_hidden(httpserver):
    echo = {"error": {"code": 500, "message": f"backend choked on key={KEY}", "errors": [{"reason": "backendError"}]}}
    httpserver.expect_request(f"{PREFIX}/videos").respond_with_json(echo, status=500)
    with pytest.raises(FetchError) as raised:
        client_for(httpserver).video(VIDEO)
    assert KEY not in str(raised.value) and "<hidden>" in str(raised.value)
    (request, _), *_ = httpserver.log
    assert KEY not in request.url and request.headers["X-Goog-Api-Key"] == KEY
    assert KEY not in repr(client_for(httpserver))


def test_the_key_comes_from_the_environment_else_the_secrets_file(tmp_path, monkeypatch):
    secrets = tmp_path / "secrets.toml"
    monkeypatch.delenv(KEY_ENV, raising=False)
    with pytest.raises(PulseError, match="no YouTube API key"):
        key_from_env(secrets)
    secrets.write_text(f'youtube_api_key = "{KEY}"\n')
    assert key_from_env(secrets) == KEY
    monkeypatch.setenv(KEY_ENV, "from-the-environment")
    assert key_from_env(secrets) == "from-the-environment"


def test_the_search_guard_sees_a_call_to_search_list(httpserver, youtube):
    """The check every YouTube test ends with (the `youtube` fixture) does see search.list when it is called."""
    requests.get(httpserver.url_for(f"{PREFIX}/search"), params={"part": "snippet", "q": "jalsa"}, timeout=5)
    assert youtube.searched and [r for r, _ in httpserver.log if "/search" in r.path]
    youtube.asked.clear()  # this test's own call, made on purpose: the fixture's check would fail on it
    httpserver.log.clear()


def test_a_server_that_drips_its_answer_is_cut_at_the_deadline():
    import time

    from tests.fake_x import RawServer, drip

    with RawServer(drip(b'{"items": []}', every_s=0.5)) as server:
        client = YouTubeClient(KEY, base_url=server.url("/youtube/v3"), deadline_s=1.0, timeout=(2, 2))
        started = time.monotonic()
        with pytest.raises(FetchError, match=r"/videos: no complete answer within 1 s"):
            client.video(VIDEO)
        assert time.monotonic() - started < 2.5


def test_an_endless_answer_is_refused_at_the_size_cap_and_deep_json_before_parsing(httpserver):
    from tests.fake_x import RawServer, endless

    with RawServer(endless()) as server:
        client = YouTubeClient(KEY, base_url=server.url("/youtube/v3"), max_bytes=1024 * 1024)
        with pytest.raises(FetchError, match="larger than the limit of 1 MB"):
            client.video(VIDEO)
    httpserver.expect_request(f"{PREFIX}/videos").respond_with_data("[" * 100_000 + "]" * 100_000)
    with pytest.raises(FetchError, match="nested deeper than 64 levels: refused"):
        client_for(httpserver).video(VIDEO)
