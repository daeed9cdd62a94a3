"""A local stand-in for the X API v2 and a chat webhook, on pytest-httpserver, for the watcher's tests.

What it serves is driven by how often it is asked, not by the clock, so the same fake works for a watcher
run in the test's process with an injected clock and for one run as a subprocess in real time.
"""

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from werkzeug import Request, Response

X_TIME = "%Y-%m-%dT%H:%M:%S.000Z"


def x_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime(X_TIME)


@dataclass
class FakeSpace:
    """A Space that is not found by the first `hidden_lookups` creator lookups, then live with these counts
    (one per status poll), then ended."""

    space_id: str
    creator_id: str
    username: str
    title: str
    started_at: datetime
    counts: list[int]
    hidden_lookups: int = 0
    ended_at: datetime | None = None
    lookups: int = 0
    polls: int = 0

    def object(self, state: str) -> dict:
        found = {
            "id": self.space_id,
            "state": state,
            "title": self.title,
            "started_at": x_time(self.started_at),
            "creator_id": self.creator_id,
            "host_ids": [self.creator_id],
        }
        if state == "ended" and self.ended_at is not None:
            found["ended_at"] = x_time(self.ended_at)
        return found


@dataclass
class FakeX:
    """The endpoints the watcher uses, with what each was asked (for assertions)."""

    users: dict[str, str] = field(default_factory=dict)  # username -> id
    spaces: list[FakeSpace] = field(default_factory=list)
    counts: dict[tuple[str, datetime], int] = field(default_factory=dict)  # (tag lower, hour) -> tweets
    asked: list[str] = field(default_factory=list)
    hook_failures: int = 0  # the webhook answers 500 this many times first
    counts_failures: int = 0  # the counts endpoint answers 503 this many times first
    received: list[dict] = field(default_factory=list)  # bodies the webhook took
    slow_tags: dict[str, float] = field(default_factory=dict)  # tag lower -> seconds its counts request takes
    lock: threading.Lock = field(default_factory=threading.Lock)

    def install(self, httpserver) -> None:
        httpserver.expect_request("/2/users/by").respond_with_handler(self._users)
        httpserver.expect_request("/2/spaces/by/creator_ids").respond_with_handler(self._by_creator)
        httpserver.expect_request("/2/spaces").respond_with_handler(self._by_ids)
        for space in self.spaces:
            httpserver.expect_request(f"/2/spaces/{space.space_id}").respond_with_handler(
                lambda request, s=space: self._status(s)
            )
        httpserver.expect_request("/2/tweets/counts/recent").respond_with_handler(self._counts)
        httpserver.expect_request("/hook/T0/B0/secret-path").respond_with_handler(self._hook)

    def _json(self, body: dict, status: int = 200) -> Response:
        return Response(json.dumps(body), status=status, content_type="application/json")

    def _users(self, request: Request) -> Response:
        self.asked.append(f"users {request.args['usernames']}")
        names = request.args["usernames"].split(",")
        data = [{"id": self.users[n.lower()], "username": n} for n in names if n.lower() in self.users]
        return self._json({"data": data} if data else {"errors": [{"type": "resource-not-found"}]})

    def _by_creator(self, request: Request) -> Response:
        ids = request.args["user_ids"].split(",")
        self.asked.append(f"creators {','.join(ids)}")
        live = []
        for space in self.spaces:
            if space.creator_id not in ids:
                continue
            space.lookups += 1
            if space.lookups > space.hidden_lookups and space.polls < len(space.counts):
                live.append(space)
        if not live:
            return self._json({"meta": {"result_count": 0}})
        users = [{"id": s.creator_id, "username": s.username} for s in live]
        return self._json({"data": [s.object("live") for s in live], "includes": {"users": users}})

    def _by_ids(self, request: Request) -> Response:
        ids = request.args["ids"].split(",")
        self.asked.append(f"spaces {','.join(ids)}")
        found = [s for s in self.spaces if s.space_id in ids]
        state = {s.space_id: "ended" if s.polls >= len(s.counts) else "live" for s in found}
        users = [{"id": s.creator_id, "username": s.username} for s in found]
        return self._json({"data": [s.object(state[s.space_id]) for s in found], "includes": {"users": users}})

    def _status(self, space: FakeSpace) -> Response:
        self.asked.append(f"status {space.space_id}")
        if space.polls >= len(space.counts):
            return self._json({"data": {"id": space.space_id, "state": "ended"}})
        count = space.counts[space.polls]
        space.polls += 1
        return self._json({"data": {"id": space.space_id, "state": "live", "participant_count": count}})

    def _counts(self, request: Request) -> Response:
        tag = request.args["query"].lstrip("#").lower()
        start = datetime.fromisoformat(request.args["start_time"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(request.args["end_time"].replace("Z", "+00:00"))
        self.asked.append(f"counts {tag} {start:%d %H:%M}-{end:%d %H:%M}")
        if self.counts_failures > 0:
            self.counts_failures -= 1
            return self._json({}, status=503)
        time.sleep(self.slow_tags.get(tag, 0.0))
        data, hour = [], start
        while hour < end:
            following = hour + timedelta(hours=1)
            n = self.counts.get((tag, hour), 0)
            data.append({"start": x_time(hour), "end": x_time(following), "tweet_count": n})
            hour = following
        return self._json({"data": data, "meta": {"total_tweet_count": sum(d["tweet_count"] for d in data)}})

    def _hook(self, request: Request) -> Response:
        with self.lock:
            if self.hook_failures > 0:
                self.hook_failures -= 1
                return Response("boom", status=500)
            self.received.append(json.loads(request.get_data()))
        return Response("ok", status=200)


class RawServer:
    """A server on 127.0.0.1 answering every request with `answer(connection)`, for the answers no web framework
    sends: a body dripped a byte at a time, a body of any size. Counts the requests; stops by itself on exit."""

    def __init__(self, answer):
        self.answer = answer
        self.requests = 0
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> "RawServer":
        self._thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._stop.set()
        self._thread.join(5)
        self._sock.close()

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}{path}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._sock.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._handle, args=(connection,), daemon=True).start()

    def _handle(self, connection: socket.socket) -> None:
        with connection:
            connection.settimeout(5)
            request = b""
            try:
                while b"\r\n\r\n" not in request:
                    chunk = connection.recv(65536)
                    if not chunk:
                        return
                    request += chunk
                head, _, body = request.partition(b"\r\n\r\n")
                length = next((int(v) for k, _, v in _headers(head) if k == b"content-length"), 0)
                while len(body) < length:
                    body += connection.recv(65536)
                self.requests += 1
                self.answer(connection, self._stop)
            except OSError:
                pass  # the client gave up: what the tests want of it


def _headers(head: bytes) -> list[tuple[bytes, bytes, bytes]]:
    return [line.lower().partition(b": ") for line in head.split(b"\r\n")[1:]]


def drip(body: bytes, every_s: float, status: str = "200 OK", whole: bool = False):
    """An answer whose body (`whole`: the status line and headers too) comes one byte every `every_s` s, each
    within any read time-out."""

    def answer(connection: socket.socket, stop: threading.Event) -> None:
        head = f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        if not whole:
            connection.sendall(head.encode())
        for byte in head.encode() + body if whole else body:
            if stop.wait(every_s):
                return
            connection.sendall(bytes([byte]))

    return answer


def endless(status: str = "200 OK", chunk: bytes = b"[1," * 21845, limit: int = 64 * 1024 * 1024):
    """An answer with no length that goes on until `limit` bytes or until the client hangs up."""

    def answer(connection: socket.socket, stop: threading.Event) -> None:
        connection.sendall(f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n".encode())
        sent = 0
        while sent < limit and not stop.is_set():
            connection.sendall(chunk)
            sent += len(chunk)

    return answer
