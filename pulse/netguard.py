"""Where a URL a viewer typed may lead: public addresses only (unless allowed), pinned, within one deadline.

The Data page fetches URLs that anyone can type. Without a guard that is a server-side request forgery: the
server would fetch its own loopback, the cloud metadata service (169.254.169.254) or the office network for them.
So every hop of a fetch (the URL and each redirect) is resolved here first, refused unless every address it
resolves to is public or admitted by `PULSE_ALLOW_HOSTS`, and then connected to the very address that was
checked, so a DNS answer that changes between the check and the connection (DNS rebinding) cannot swap it.
"""

import contextlib
import ipaddress
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from pulse.errors import PulseError

ALLOW_HOSTS_ENV = "PULSE_ALLOW_HOSTS"

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]

# IPv6 ranges that carry an IPv4 address in their last 32 bits and reach it: IPv4-compatible (::a.b.c.d)
# and NAT64 (64:ff9b::a.b.c.d, 64:ff9b:1::/48). Their embedded address is checked as well.
_EMBEDS_IPV4 = tuple(ipaddress.ip_network(n) for n in ("::/96", "64:ff9b::/96", "64:ff9b:1::/48"))


class RefusedAddress(PulseError):
    """A URL leads to an address the dashboard must not fetch from."""


@dataclass(frozen=True)
class AllowList:
    """Hosts an operator admits although they are not public: host names, addresses and ranges."""

    names: frozenset[str] = frozenset()
    networks: tuple[Network, ...] = ()

    def admits_name(self, host: str) -> bool:
        return _normal_name(host) in self.names

    def admits_address(self, address: Address) -> bool:
        return any(address.version == n.version and address in n for n in self.networks)


def allow_list(text: str | None = None) -> AllowList:
    """PULSE_ALLOW_HOSTS (or `text`): comma-separated host names, addresses or CIDR ranges such as 10.0.0.0/8."""
    text = os.environ.get(ALLOW_HOSTS_ENV, "") if text is None else text
    names: set[str] = set()
    networks: list[Network] = []
    for entry in (e.strip() for e in text.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            continue
        except ValueError:
            pass
        if "/" in entry or " " in entry or ":" in entry:
            raise PulseError(
                f"{ALLOW_HOSTS_ENV}: {entry!r} is neither a host name, an address nor a range such as 10.0.0.0/8"
            )
        names.add(_normal_name(entry))
    return AllowList(frozenset(names), tuple(networks))


def _normal_name(host: str) -> str:
    return host.strip().rstrip(".").lower()


def is_public(address: Address) -> bool:
    """Whether an address is on the public internet: not loopback, private, link-local, multicast, reserved,
    unspecified or shared, and (for IPv6 forms that embed an IPv4 address) neither is the address inside."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = [address.ipv4_mapped, address.sixtofour, *(address.teredo or ())]
        inner += [ipaddress.IPv4Address(int(address) & 0xFFFFFFFF) for n in _EMBEDS_IPV4 if address in n]
        if any(i is not None and not is_public(i) for i in inner):
            return False
    return address.is_global and not address.is_multicast


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (numeric forms such as 2130706433 or 0x7f.1 included), in DNS order."""
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return []
    return list(dict.fromkeys(a[4][0] for a in answers))


def checked_addresses(host: str, port: int, allowed: AllowList, resolver: Resolver = resolve) -> list[str]:
    """The addresses to connect to for `host` (empty if it does not resolve), after checking every one of them:
    RefusedAddress when any is not public and not allowed, and then nothing is connected to."""
    addresses = resolver(host, port)
    name_allowed = allowed.admits_name(host)
    for text in addresses:
        address = ipaddress.ip_address(text.split("%", 1)[0])  # an IPv6 scope (fe80::1%eth0) is not part of it
        if not (name_allowed or is_public(address) or allowed.admits_address(address)):
            raise RefusedAddress(
                f"{host} is on a private or local network; only public addresses are fetched "
                f"(an administrator can allow hosts with {ALLOW_HOSTS_ENV})"
            )
    return addresses


class Deadline:
    """One time limit for a whole fetch: when it passes, every connection it watches is shut down, so a
    server that sends one byte at a time (each within the read time-out) cannot hold the fetch open."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic):
        self.seconds = seconds
        self._clock = clock
        self._ends = clock() + seconds
        self._lock = threading.Lock()
        self._watched: list[socket.socket] = []
        self.expired = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> "Deadline":
        self._timer.start()
        return self

    def __exit__(self, *_) -> None:
        self._timer.cancel()
        with self._lock:
            for watched in self._watched:
                watched.close()
            self._watched.clear()

    def remaining(self) -> float:
        return max(self._ends - self._clock(), 0.0)

    def watch(self, sock: socket.socket) -> None:
        """Shut `sock` down when the deadline passes. A duplicate of its descriptor is kept: shutting that down
        ends the connection itself, also once TLS has wrapped (and detached) the original socket object."""
        duplicate = socket.socket(fileno=os.dup(sock.fileno()))
        with self._lock:
            self._watched.append(duplicate)
            if self.expired:
                _shut(duplicate)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for watched in self._watched:
                _shut(watched)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the other side
        sock.shutdown(socket.SHUT_RDWR)


class _Pinned:
    """A urllib3 connection to checked addresses (tried in order) instead of resolving its host name again.
    Everything else (the Host header, TLS server name and certificate check) stays on the host name."""

    def __init__(self, *args, pinned_addresses: list[str], deadline: Deadline, **kwargs):
        super().__init__(*args, **kwargs)
        self._pinned_addresses = pinned_addresses
        self._deadline = deadline

    def _new_conn(self) -> socket.socket:
        name = self._dns_host
        try:
            for number, address in enumerate(self._pinned_addresses, start=1):
                self._dns_host = address  # what urllib3 passes to socket.create_connection
                try:
                    sock = super()._new_conn()
                    break
                except (NewConnectionError, ConnectTimeoutError):
                    if number == len(self._pinned_addresses):
                        raise
        finally:
            self._dns_host = name
        self._deadline.watch(sock)
        return sock


class _PinnedHTTPConnection(_Pinned, HTTPConnection):
    pass


class _PinnedHTTPSConnection(_Pinned, HTTPSConnection):
    pass


class PinnedAdapter(HTTPAdapter):
    """Sends each request to the address checked for its host (see `pin`); a host not pinned is refused."""

    def __init__(self, deadline: Deadline, **kwargs):
        super().__init__(**kwargs)
        self._deadline = deadline
        self._pins: dict[tuple[str, int], list[str]] = {}

    def pin(self, host: str, port: int, addresses: list[str]) -> None:
        self._pins[(_normal_name(host), port)] = addresses

    def get_connection_with_tls_context(self, request, verify, proxies=None, cert=None):
        pool = super().get_connection_with_tls_context(request, verify, proxies, cert)
        addresses = self._pins.get((_normal_name(pool.host), pool.port))
        if not addresses:
            raise RefusedAddress(f"{pool.host} was not checked before connecting")
        pool.ConnectionCls = _PinnedHTTPSConnection if pool.scheme == "https" else _PinnedHTTPConnection
        pool.conn_kw.update(pinned_addresses=addresses, deadline=self._deadline)
        return pool


def pinned_session(adapter: PinnedAdapter) -> requests.Session:
    """A session that only connects through `adapter`, ignoring proxy variables and .netrc: a proxy would
    resolve the host itself, after our check."""
    session = requests.Session()
    session.trust_env = False
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
