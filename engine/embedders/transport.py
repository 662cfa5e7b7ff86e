"""One JSON POST to an embedding server, and upstream's verdict on its answer.

Embedding runs in the task worker thread (and, for queries, in a search thread), never on the
event loop, so a blocking standard-library client is the right tool: ``http.client`` through
``urllib.request``, no connection reuse (upstream keeps no idle connections either).

Each failure is classified as milli's ``rest.rs::check_response`` does:

    status          error (fault: kind)                                     then
    401             user error: could not authenticate against … server      give up
    400             user error: sent a bad request to embedding server       give up
    429             runtime error: sent too many requests …                  retry after 100 + 10^n ms
    500–599         runtime error: received internal error HTTP …            retry after 10^n ms
    402–499 other   error: received unexpected HTTP …                        give up
    anything else   error: received unexpected HTTP …                        retry
    no connection   runtime error: could not reach embedding server          retry
    not JSON        runtime error: error deserializing the response body …   retry
    refused address runtime error: could not reach … bad uri: Rejected URI  retry

Outgoing-request IP policy (``--experimental-allowed-ip-networks``, upstream's http-client
``policy.rs``): the embedding server's host is resolved first and every address it resolves to
must be global, or inside one of the allowed networks; otherwise nothing is sent and the request
fails as upstream's resolver makes it fail (a ``BadUri("Rejected URI")`` transport error, which
its embedders report as a network failure). The process-wide allowance is set once by the server
and the task worker from the configuration (``allow_networks``); none allowed by default.
"""
from __future__ import annotations

import ipaddress
import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .errors import RUNTIME, UNDECIDED, USER, EmbeddingError, option_info

GIVE_UP, RETRY, RATE_LIMITED = "give_up", "retry", "rate_limited"
# Which remote the configuration talks to: it changes the wording of 400 and 401 errors.
USER_CONFIGURED, OPENAI, OLLAMA = "user", "openAi", "ollama"

_SERVER_NAME = {USER_CONFIGURED: "embedding", OPENAI: "OpenAI", OLLAMA: "Ollama"}
_AUTH_HINT = {
    USER_CONFIGURED: "\n  - Hint: Check the `apiKey` parameter in the embedder configuration",
    OPENAI: "\n  - Hint: Check the `apiKey` parameter in the embedder configuration, and the "
    "`MEILI_OPENAI_API_KEY` and `OPENAI_API_KEY` environment variables",
    OLLAMA: "\n  - Hint: Check the `apiKey` parameter in the embedder configuration",
}


@dataclass
class Failure(Exception):
    """An attempt that failed: the error to report and whether trying again may help."""

    error: EmbeddingError
    strategy: str
    status: int | None = None
    body: str | None = None


def _reply(body: str | None) -> str:
    return option_info(body, "server replied with ")


def status_failure(status: int, body: str | None, configured_by: str) -> Failure:
    """The error and retry strategy for a non-2xx answer."""
    if status == 401:
        kind = f"could not authenticate against {_SERVER_NAME[configured_by]} server{_reply(body)}{_AUTH_HINT[configured_by]}"
        return Failure(EmbeddingError.of(USER, kind), GIVE_UP, status, body)
    if status == 429:
        kind = f"sent too many requests to embedding server{_reply(body)}"
        return Failure(EmbeddingError.of(RUNTIME, kind), RATE_LIMITED, status, body)
    if status == 400:
        hint = (
            "\n  - Hint: check that the `request` in the embedder configuration matches the remote server's API"
            if configured_by == USER_CONFIGURED else ""
        )
        kind = f"sent a bad request to embedding server{hint}{_reply(body)}"
        return Failure(EmbeddingError.of(USER, kind), GIVE_UP, status, body)
    if 500 <= status <= 599:
        kind = f"received internal error HTTP {status} from embedding server{_reply(body)}"
        return Failure(EmbeddingError.of(RUNTIME, kind), RETRY, status, body)
    kind = f"received unexpected HTTP {status} from embedding server{_reply(body)}"
    strategy = GIVE_UP if 402 <= status <= 499 else RETRY
    return Failure(EmbeddingError.of(UNDECIDED, kind), strategy, status, body)


def serde_json_message(error: json.JSONDecodeError) -> str:
    """serde_json's wording of the common parse failures (``expected value at line 1 column 1``)."""
    wording = {
        "Expecting value": "expected value",
        "Extra data": "trailing characters",
        "Unterminated string starting at": "EOF while parsing a string",
        "Expecting ',' delimiter": "expected `,` or `]`",
        "Expecting property name enclosed in double quotes": "key must be a string",
        "Expecting ':' delimiter": "expected `:`",
    }.get(error.msg, error.msg[:1].lower() + error.msg[1:])
    return f"{wording} at line {error.lineno} column {error.colno}"


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_allowed: tuple[IPNetwork, ...] = ()
REJECTED = "bad uri: Rejected URI"


def allow_networks(networks: Iterable[IPNetwork] | None) -> None:
    """The networks outgoing embedder requests may reach besides global addresses (``any`` is
    0.0.0.0/0 and ::/0); None or empty: global addresses only, upstream's default."""
    global _allowed
    _allowed = tuple(networks or ())


def allowed_networks() -> tuple[IPNetwork, ...]:
    return _allowed


def address_allowed(address: IPAddress) -> bool:
    """Global addresses always; private, loopback, link-local, shared, reserved... only when an
    allowed network holds them. An IPv4-mapped IPv6 address is never global (as upstream)."""
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    if mapped is None and address.is_global:
        return True
    return any(address in network for network in _allowed)


def check_destination(url: str) -> None:
    """Resolve the url's host and refuse it (a retried :class:`Failure`, as a network error) when
    an address it resolves to is not allowed. An unresolvable host is left to the request."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname
    if not host:
        return
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, ValueError, UnicodeError):
        return
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not address_allowed(address):
            kind = f"could not reach embedding server:\n  - {REJECTED}"
            raise Failure(EmbeddingError.of(RUNTIME, kind), RETRY)


def post_json(url: str, body: Any, headers: dict[str, str], timeout: float, configured_by: str) -> Any:
    """POST ``body`` as JSON; the decoded answer, or a :class:`Failure` raised."""
    check_destination(url)
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=data, method="POST")
    for name, value in headers.items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
    except urllib.error.HTTPError as error:
        try:
            text: str | None = error.read().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            text = None
        raise status_failure(error.code, text, configured_by) from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        kind = f"could not reach embedding server:\n  - {url}: {reason}"
        raise Failure(EmbeddingError.of(RUNTIME, kind), RETRY) from None
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        kind = "error deserializing the response body as JSON:\n  - stream did not contain valid UTF-8"
        raise Failure(EmbeddingError.of(RUNTIME, kind), RETRY) from None
    except json.JSONDecodeError as error:
        kind = f"error deserializing the response body as JSON:\n  - {serde_json_message(error)}"
        raise Failure(EmbeddingError.of(RUNTIME, kind), RETRY) from None
