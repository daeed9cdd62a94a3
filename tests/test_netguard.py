"""Server-side request forgery: the URL fetch reaches only public addresses, at every hop, at the address it
checked, within one deadline. The attacks are run against real local servers, which are exactly what must
be refused: they listen on loopback."""

import ipaddress
import socket
import threading
import time

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from pulse import netguard
from pulse.errors import FetchError, PulseError
from pulse.http import fetch_bytes
from pulse.netguard import allow_list, is_public

INTERNAL = b"internal_admin_token=hunter2\n"
REFUSED = "is on a private or local network"


@pytest.fixture(autouse=True)
def _no_allow_list(monkeypatch):
    monkeypatch.delenv("PULSE_ALLOW_HOSTS", raising=False)


@pytest.fixture
def internal(httpserver):
    """A service inside the network: it answers with a secret to anyone who reaches it."""
    httpserver.expect_request("/secret.csv").respond_with_data(INTERNAL)
    return httpserver


def fast(**kwargs) -> dict:
    return {"retries": 0, "backoff": 0, **kwargs}


# -- which addresses are public -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.5.6.7",
        "0.0.0.0",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # the cloud metadata service
        "100.64.0.1",  # shared (carrier-grade NAT)
        "224.0.0.1",  # multicast
        "239.255.255.250",
        "240.0.0.1",  # reserved
        "255.255.255.255",
        "::",
        "::1",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:169.254.169.254",
        "::127.0.0.1",  # IPv4-compatible
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
    ],
)
def test_not_public(address):
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.215.14", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public(address):
    assert is_public(ipaddress.ip_address(address))


def test_allow_list_takes_names_addresses_and_ranges():
    allowed = allow_list(" intranet.Example.org., 10.0.0.0/8,192.168.1.5 , [fd00::1], ,")
    assert allowed.names == {"intranet.example.org"}
    assert allowed.networks == (
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("192.168.1.5/32"),
        ipaddress.ip_network("fd00::1/128"),
    )
    assert allowed.admits_name("INTRANET.example.org")
    assert allowed.admits_address(ipaddress.ip_address("10.200.0.1"))
    assert not allowed.admits_address(ipaddress.ip_address("192.168.1.6"))


@pytest.mark.parametrize("entry", ["http://intranet", "10.0.0.0/33", "intra net"])
def test_allow_list_rejects_what_it_cannot_read(entry):
    with pytest.raises(PulseError, match="PULSE_ALLOW_HOSTS: .* is neither a host name"):
        allow_list(entry)


# -- refused by default, admitted by the allow-list -------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "localhost",
        "LocalHost",
        "2130706433",  # 127.0.0.1 as one decimal number
        "0x7f000001",
        "0x7f.1",
        "017700000001",  # octal
        "127.1",
        "0.0.0.0",
        "0",
        "[::ffff:127.0.0.1]",
        "[::ffff:7f00:1]",
    ],
)
def test_loopback_in_any_spelling_is_refused_and_never_contacted(internal, host):
    url = f"http://{host}:{internal.port}/secret.csv"
    with pytest.raises(FetchError, match=REFUSED) as caught:
        fetch_bytes(url, **fast())
    assert "internal_admin_token" not in str(caught.value) and "hunter2" not in str(caught.value)
    assert internal.log == []


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://10.0.0.1/",
        "http://192.168.0.1/admin",
        "http://224.0.0.251/",
        "http://[::1]:8080/",
        "http://[fe80::1]/",
    ],
)
def test_internal_addresses_are_refused_before_any_connection(url, monkeypatch):
    def no_connection(*args, **kwargs):
        raise AssertionError("the fetch tried to connect")

    monkeypatch.setattr(socket, "create_connection", no_connection)
    with pytest.raises(FetchError, match=REFUSED):
        fetch_bytes(url, **fast())


@pytest.mark.parametrize("allowed", ["127.0.0.1", "127.0.0.0/8", "localhost"])
def test_the_allow_list_admits_internal_hosts(internal, monkeypatch, allowed):
    monkeypatch.setenv("PULSE_ALLOW_HOSTS", allowed)
    host = "localhost" if allowed == "localhost" else "127.0.0.1"
    assert fetch_bytes(f"http://{host}:{internal.port}/secret.csv", **fast()) == INTERNAL


def test_a_name_allowed_does_not_admit_its_address_under_another_spelling(internal, monkeypatch):
    monkeypatch.setenv("PULSE_ALLOW_HOSTS", "localhost")
    with pytest.raises(FetchError, match=REFUSED):
        fetch_bytes(f"http://2130706433:{internal.port}/secret.csv", **fast())
    assert internal.log == []


# -- redirects ------------------------------------------------------------------------------------------


def public_name(monkeypatch, name: str = "files.example.org") -> str:
    """`name` resolves to the local test server and is admitted by name, as an organisation's own file host
    would be: so it stands in for a public server that answers with a redirect."""
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        return real("127.0.0.1" if host == name else host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    monkeypatch.setenv("PULSE_ALLOW_HOSTS", name)
    return name


@pytest.mark.parametrize("target", ["127.0.0.1", "localhost", "2130706433", "[::ffff:127.0.0.1]"])
def test_a_redirect_to_loopback_is_refused(internal, monkeypatch, target):
    name = public_name(monkeypatch)
    internal.expect_request("/data.csv").respond_with_response(
        Response(status=302, headers={"Location": f"http://{target}:{internal.port}/secret.csv"})
    )
    with pytest.raises(FetchError, match=f"it redirected to .*{REFUSED}") as caught:
        fetch_bytes(f"http://{name}:{internal.port}/data.csv", **fast())
    assert "hunter2" not in str(caught.value)
    assert [request.path for request, _ in internal.log] == ["/data.csv"]  # the secret was never asked for


def test_a_redirect_to_another_scheme_is_refused(internal, monkeypatch):
    name = public_name(monkeypatch)
    internal.expect_request("/data.csv").respond_with_response(
        Response(status=301, headers={"Location": "file:///etc/passwd"})
    )
    with pytest.raises(FetchError, match="it redirected to an unsupported address"):
        fetch_bytes(f"http://{name}:{internal.port}/data.csv", **fast())


def test_redirects_are_followed_on_admitted_hosts_and_counted(internal, monkeypatch):
    name = public_name(monkeypatch)
    internal.expect_request("/old.csv").respond_with_response(Response(status=301, headers={"Location": "/new.csv"}))
    internal.expect_request("/new.csv").respond_with_data("a,b\n1,2\n")
    internal.expect_request("/loop").respond_with_response(Response(status=307, headers={"Location": "/loop"}))
    assert fetch_bytes(f"http://{name}:{internal.port}/old.csv", **fast()) == b"a,b\n1,2\n"
    with pytest.raises(FetchError, match=r"too many redirects \(more than 5\)"):
        fetch_bytes(f"http://{name}:{internal.port}/loop", **fast())
    assert sum(request.path == "/loop" for request, _ in internal.log) == 6


# -- DNS rebinding ----------------------------------------------------------------------------------------


def test_the_connection_goes_to_the_address_that_was_checked(internal, monkeypatch):
    """The name first resolves to an admitted address, then (when urllib3 would resolve it again to connect)
    to another one inside the network. The fetch must reach the first, never the second."""
    internal.expect_request("/data.csv").respond_with_data("checked\n")
    other = HTTPServer(host="127.0.0.2", port=internal.port)  # 127.0.0.2 is loopback too, not in the allow-list
    other.expect_request("/data.csv").respond_with_data(INTERNAL)
    other.start()
    try:
        real = socket.getaddrinfo
        answers = iter(["127.0.0.1"])

        def rebinding(host, port, *args, **kwargs):
            if host == "rebind.example.org":
                host = next(answers, "127.0.0.2")
            return real(host, port, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", rebinding)
        monkeypatch.setenv("PULSE_ALLOW_HOSTS", "127.0.0.1")
        body = fetch_bytes(f"http://rebind.example.org:{internal.port}/data.csv", **fast())
    finally:
        other.clear()
        other.stop()
    assert body == b"checked\n"
    assert other.log == []
    [(request, _)] = [entry for entry in internal.log if entry[0].path == "/data.csv"]
    assert request.headers["Host"] == f"rebind.example.org:{internal.port}"  # the name, not the address


# -- one deadline for the whole fetch ---------------------------------------------------------------------


def test_a_server_trickling_its_body_is_cut_at_the_deadline(internal, monkeypatch):
    monkeypatch.setenv("PULSE_ALLOW_HOSTS", "127.0.0.1")

    def trickle(request: Request) -> Response:
        def one_byte_at_a_time():
            for _ in range(8):
                yield b"x"
                time.sleep(1.5)

        return Response(one_byte_at_a_time(), content_type="text/csv")

    internal.expect_request("/slow.csv").respond_with_handler(trickle)
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"took longer than 2 s, the limit for one fetch \(PULSE_FETCH_DEADLINE_S\)"):
        fetch_bytes(internal.url_for("/slow.csv"), timeout=(5, 30), deadline_s=2, **fast())
    assert 1.9 < time.monotonic() - started < 6  # the whole trickle would take 12 s


def test_a_server_trickling_its_headers_is_cut_at_the_deadline(monkeypatch):
    """Each byte comes within the read time-out, so only the overall deadline can end this fetch."""
    monkeypatch.setenv("PULSE_ALLOW_HOSTS", "127.0.0.1")
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve():
        connection, _ = listener.accept()
        with connection:
            for byte in b"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nX-Padding: " + b"p" * 100:
                if stop.wait(0.3):
                    return
                try:
                    connection.sendall(bytes([byte]))
                except OSError:
                    return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    started = time.monotonic()
    try:
        with pytest.raises(FetchError, match="took longer than 1.5 s"):
            fetch_bytes(f"http://127.0.0.1:{listener.getsockname()[1]}/", timeout=(5, 30), deadline_s=1.5, **fast())
        assert time.monotonic() - started < 6  # the whole trickle would take 45 s
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def test_the_deadline_setting_is_checked(internal, monkeypatch):
    monkeypatch.setenv("PULSE_FETCH_DEADLINE_S", "soon")
    with pytest.raises(PulseError, match="PULSE_FETCH_DEADLINE_S must be a positive number of seconds"):
        fetch_bytes(internal.url_for("/secret.csv"), **fast())


def test_an_unchecked_host_is_never_connected_to():
    adapter = netguard.PinnedAdapter(netguard.Deadline(5))
    with netguard.pinned_session(adapter) as session, pytest.raises(netguard.RefusedAddress, match="not checked"):
        session.get("http://127.0.0.1:9/")
