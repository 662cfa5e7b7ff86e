"""What the HTTP layer itself answers, and how long it waits, with a real `loupe` process.

Properties:
1. requests the HTTP layer cannot read come back as Meilisearch's error object (JSON, CORS
   headers, code `bad_request`): a URL over 8,190 bytes → 414, a header line over 8,190 bytes or
   more than 128 headers → 431, a bad request line or method → 400; a `%0D%0A` in a path reaches
   the routes (an index uid with CR LF → 400 `invalid_index_uid`);
2. a connection that sends nothing, or half a request head, or stays idle after an answer, is
   closed after the idle timeout (`LOUPE_HTTP_IDLE_TIMEOUT`, here 1 s);
3. a body that stops arriving fails with 408 `bad_request` after the body timeout
   (`LOUPE_HTTP_BODY_TIMEOUT`, here 1 s) and the connection is closed;
4. a client that disconnects mid-body is logged as one INFO line per disconnect: no ERROR, no
   traceback.
"""
from __future__ import annotations

import json
import socket
import time

import pytest

from support import MASTER_KEY


def exchange(port: int, data: bytes, timeout: float = 10.0) -> tuple[bytes, float]:
    """Send ``data``, read until the server closes; (everything read, seconds until the close)."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(timeout)
        if data:
            sock.sendall(data)
        answer = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return answer, time.monotonic() - started
            answer += chunk


def error_of(answer: bytes) -> tuple[int, dict, str]:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    assert headers["content-type"].startswith("application/json"), head
    assert headers["access-control-allow-origin"] == "*"
    return int(lines[0].split()[1]), json.loads(body), headers.get("connection", "")


def assert_bad_request(answer: bytes, status: int, message_part: str) -> None:
    got_status, body, _ = error_of(answer)
    assert got_status == status
    assert list(body) == ["message", "code", "type", "link"]
    assert body["code"] == "bad_request" and body["type"] == "invalid_request"
    assert body["link"] == "https://docs.meilisearch.com/errors#bad_request"
    assert message_part in body["message"]


@pytest.fixture(scope="module")
def quick_server(tmp_path_factory):
    """A server with 1-second idle and body timeouts."""
    from support import LoupeProcess
    server = LoupeProcess(tmp_path_factory.mktemp("http") / "data.ms",
                          env={"LOUPE_HTTP_IDLE_TIMEOUT": "1", "LOUPE_HTTP_BODY_TIMEOUT": "1"}).start()
    yield server
    server.stop()


def test_url_too_long(quick_server):
    answer, _ = exchange(quick_server.port, b"GET /indexes/" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert_bad_request(answer, 414, "The request URL is longer than the limit of 8190 bytes.")


def test_headers_too_large(quick_server):
    answer, _ = exchange(quick_server.port, b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n")
    assert_bad_request(answer, 431, "A request header is longer than the limit of 8190 bytes.")
    many = b"".join(b"X-%d: 1\r\n" % i for i in range(200))
    answer, _ = exchange(quick_server.port, b"GET /health HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n")
    assert_bad_request(answer, 431, "The request has more than 128 headers.")


@pytest.mark.parametrize("request_line", [b"BLAH\r\n\r\n", b"GET /health HTTP/9.1\r\nHost: x\r\n\r\n",
                                          b"GET /indexes/\r\nfoo HTTP/1.1\r\nHost: x\r\n\r\n",
                                          b"G\x00T /health HTTP/1.1\r\n\r\n"])
def test_unparsable_request(quick_server, request_line):
    answer, _ = exchange(quick_server.port, request_line)
    assert_bad_request(answer, 400, "The request could not be parsed: ")


def test_crlf_in_path_reaches_the_routes(quick_server):
    request = (b"GET /indexes/%0D%0Amovies HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
               + MASTER_KEY.encode() + b"\r\nConnection: close\r\n\r\n")
    answer, _ = exchange(quick_server.port, request)
    status, body, _ = error_of(answer)
    assert (status, body["code"]) == (400, "invalid_index_uid")
    assert body["message"].startswith("`\r\nmovies` is not a valid index uid.")


@pytest.mark.parametrize("sent", [b"", b"GET /health HT", b"GET /health HTTP/1.1\r\nHost: x\r\n"],
                         ids=["nothing", "half-request-line", "half-head"])
def test_idle_and_half_sent_heads_time_out(quick_server, sent):
    answer, closed_after = exchange(quick_server.port, sent)
    assert answer == b""
    assert closed_after < 8  # 1 s idle timeout, generous bound for a loaded machine


def test_idle_keep_alive_connection_times_out(quick_server):
    answer, closed_after = exchange(quick_server.port, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(b'{"status":"available"}')
    assert closed_after < 8


def test_stalled_body_times_out(quick_server):
    head = (b"POST /indexes/stalled/documents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + MASTER_KEY.encode()
            + b"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n[{\"id\": 1")
    answer, closed_after = exchange(quick_server.port, head)
    assert_bad_request(answer, 408, "The request body was not received in time: no byte for 1 s.")
    assert closed_after < 8
    assert quick_server.client().get_tasks({"indexUids": ["stalled"]}).total == 0


def test_disconnects_are_one_info_line_each(quick_server):
    before = quick_server.log()
    for n in range(20):
        with socket.create_connection(("127.0.0.1", quick_server.port)) as sock:
            sock.sendall(b"POST /indexes/gone/documents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                         + MASTER_KEY.encode() + b"\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 1000\r\n\r\n[{\"id\": " + str(n).encode())
            time.sleep(0.05)
    time.sleep(0.5)
    new = quick_server.log()[len(before):].splitlines()
    disconnects = [line for line in new if "client disconnected during POST /indexes/gone/documents" in line]
    assert len(disconnects) == 20, new
    assert all(" INFO loupe.http: " in line for line in disconnects)
    assert len(new) == 20 and "Traceback" not in "\n".join(new) and " ERROR " not in "\n".join(new), new
