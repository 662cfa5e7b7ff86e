"""Webhooks: URLs told about every finished task (api.md §17, tasks.md §12).

Two kinds of webhook exist, merged into one listing ordered by uuid:

* *runtime* webhooks, created through `POST /webhooks`, stored in the queue environment's
  ``meta`` table under ``b"webhooks"`` as ``{uuid: {"url", "headers"}}`` — at most 20;
* the *CLI* webhook (``--task-webhook-url`` + ``--task-webhook-authorization-header``), never
  stored, shown with the nil uuid and ``isEditable: false``, immune to PATCH and DELETE.

A request body is read the way Meilisearch's deserr reads it: each field is *absent* (keep),
``null`` (reset) or a value.  For a header, reset means "remove it" on PATCH and "empty value" on
POST; ``"headers": null`` clears them all.  Output masks ``Authorization`` values like API keys::

    >>> webhook_view(NIL_UUID, {"url": "http://a.b", "headers": {"authorization": "Bearer s3cret"}})
    {'uuid': '00000000-0000-0000-0000-000000000000', 'isEditable': False, 'url': 'http://a.b', \
'headers': {'authorization': 'Bearer XXX...'}}

Checks mirror upstream's order: body shape, then limits, then url presence, then header names and
values (in header-name order), then the URL syntax.
"""
from __future__ import annotations

import re
import uuid as uuidlib
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from ..errors import LoupeError
from ..settings.embedders import hide_secret
from ..settings.validate import immutable_field, type_error, unknown_field
from ..store import Store
from ..store.codecs import dumps, loads

#: Runtime webhooks per instance.  Each one is an outgoing POST per batch; past a handful a proxy
#: that fans events out is the right tool (upstream's message says so).
MAX_WEBHOOKS = 20
#: Headers per webhook; bounds the stored record and the request each batch sends.
MAX_HEADERS = 200

NIL_UUID = "00000000-0000-0000-0000-000000000000"
FIELDS = ("url", "headers")
_META_KEY = b"webhooks"

Webhook = dict[str, Any]  # {"url": str, "headers": {name: value}}


class _Absent:
    """A field missing from the body (deserr's `Setting::NotSet`); ``None`` is a reset."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()


@dataclass(frozen=True)
class WebhookPatch:
    """A parsed body: each field ABSENT, None (reset) or its value."""

    url: Any = ABSENT
    headers: Any = ABSENT  # ABSENT | None | {name: str | None}


# -- errors (upstream `WebhooksError`) -------------------------------------------------------------

def missing_url(uid: str) -> LoupeError:
    return LoupeError("invalid_webhook_url", f"The URL for the webhook `{uid}` is missing.")


def too_many_webhooks() -> LoupeError:
    return LoupeError("invalid_webhooks",
                      f"Defining too many webhooks would crush the server. Please limit the number of webhooks "
                      f"to {MAX_WEBHOOKS}. You may use a third-party proxy server to dispatch events to more "
                      f"than {MAX_WEBHOOKS} endpoints.")


def too_many_headers(uid: str) -> LoupeError:
    return LoupeError("invalid_webhook_headers",
                      f"Too many headers for the webhook `{uid}`. Please limit the number of headers to "
                      f"{MAX_HEADERS}. Hint: To remove an already defined header set its value to `null`")


def immutable_webhook(uid: str) -> LoupeError:
    return LoupeError("immutable_webhook",
                      f"Webhook `{uid}` is immutable. The webhook defined from the command line cannot be "
                      "modified using the API.")


def webhook_not_found(uid: str) -> LoupeError:
    return LoupeError("webhook_not_found", f"Webhook `{uid}` not found.")


# -- body ----------------------------------------------------------------------------------------

def parse_body(body: Any) -> WebhookPatch:
    """The body of POST/PATCH, with deserr's codes: first problem in body order wins."""
    if not isinstance(body, dict):
        raise type_error("", "an object", body, "bad_request")
    url, headers = ABSENT, ABSENT
    for key, value in body.items():
        if key == "url":
            if value is not None and not isinstance(value, str):
                raise type_error(".url", "a string", value, "invalid_webhook_url")
            url = value
        elif key == "headers":
            headers = _parse_headers(value)
        elif key == "uuid":
            raise immutable_field("uuid", FIELDS, "immutable_webhook_uuid")
        elif key == "isEditable":
            raise immutable_field("isEditable", FIELDS, "immutable_webhook_is_editable")
        else:
            raise unknown_field(key, FIELDS)
    return WebhookPatch(url, headers)


def _parse_headers(value: Any) -> dict[str, str | None] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise type_error(".headers", "an object", value, "invalid_webhook_headers")
    for name, header in value.items():
        if header is not None and not isinstance(header, str):
            raise type_error(f".headers.{name}", "a string", header, "invalid_webhook_headers")
    return dict(value)


# -- validation of the resulting webhook ----------------------------------------------------------

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def header_name_ok(name: str) -> bool:
    """RFC 9110 token: what the `http` crate's `HeaderName::from_bytes` accepts."""
    return bool(_TOKEN.fullmatch(name))


def header_value_ok(value: str) -> bool:
    """Visible bytes, spaces, tabs and non-ASCII; no control characters (`HeaderValue::from_str`)."""
    return all(b >= 32 and b != 127 or b == 9 for b in value.encode())


def check_webhook(uid: str, webhook: Webhook) -> None:
    """Upstream's `check_changed`: url present, header count, names, values, then URL syntax."""
    if uid == NIL_UUID:
        raise immutable_webhook(uid)
    if not webhook["url"]:
        raise missing_url(uid)
    if len(webhook["headers"]) > MAX_HEADERS:
        raise too_many_headers(uid)
    for name, value in sorted(webhook["headers"].items()):
        if not header_name_ok(name):
            raise LoupeError("invalid_webhook_headers", f"Invalid header name `{name}`: invalid HTTP header name")
        if not header_value_ok(value):
            raise LoupeError("invalid_webhook_headers", f"Invalid header value `{name}`: failed to parse header value")
    problem = url_problem(webhook["url"])
    if problem is not None:
        raise LoupeError("invalid_webhook_url", f"Invalid URL `{webhook['url']}`: {problem}")


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_SPECIAL_SCHEMES = frozenset(("http", "https", "ws", "wss", "ftp"))
_FORBIDDEN_HOST = frozenset("\0\t\n\r #/:<>?@[\\]^|%") | frozenset(chr(c) for c in range(32)) | {"\x7f"}
_IPV6 = re.compile(r"\[[0-9A-Fa-f:.]+\]")


def url_problem(url: str) -> str | None:
    """Why the WHATWG parser (Rust `url` crate) would refuse ``url``, in its words; None if fine.

    Covers what a webhook URL gets wrong in practice — no scheme, empty host, bad port, bad host
    characters; exotic IPv4 spellings are not reproduced.
    """
    text = url.strip("".join(chr(c) for c in range(33))).replace("\t", "").replace("\n", "").replace("\r", "")
    scheme = _SCHEME.match(text)
    if scheme is None:
        return "relative URL without a base"
    name, rest = scheme.group()[:-1].lower(), text[scheme.end():]
    if name == "file":
        return None
    if name in _SPECIAL_SCHEMES:
        authority = re.split(r"[/\\?#]", rest.lstrip("/\\"), maxsplit=1)[0]
    elif rest.startswith("//"):
        authority = re.split(r"[/?#]", rest[2:], maxsplit=1)[0]
    else:
        return None  # `mailto:x`: no authority to check
    hostport = authority.rpartition("@")[2]
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0 or not _IPV6.fullmatch(hostport[:end + 1]):
            return "invalid IPv6 address"
        host, port = hostport[:end + 1], hostport[end + 1:]
        if port and not port.startswith(":"):
            return "invalid port number"
        port = port[1:]
    else:
        host, _, port = hostport.partition(":")
    if port and (not port.isascii() or not port.isdigit() or int(port) > 65535):
        return "invalid port number"
    if not host:
        return "empty host" if name in _SPECIAL_SCHEMES else None
    if host.startswith("["):
        return None
    if any(ch in _FORBIDDEN_HOST for ch in host):
        return "invalid domain character"
    if not host.isascii():
        try:
            host.encode("idna")
        except UnicodeError:
            return "invalid international domain name"
    if name in _SPECIAL_SCHEMES and _looks_ipv4(host) and not _valid_ipv4(host):
        return "invalid IPv4 address"
    return None


def _looks_ipv4(host: str) -> bool:
    last = host.rstrip(".").rpartition(".")[2]
    return bool(last) and (last.isdigit() or bool(re.fullmatch(r"0[xX][0-9A-Fa-f]*", last)))


def _valid_ipv4(host: str) -> bool:
    parts = host[:-1].split(".") if host.endswith(".") else host.split(".")
    if len(parts) > 4:
        return False
    try:
        numbers = [int(p, 16) if p[:2].lower() == "0x" else int(p, 8) if len(p) > 1 and p[0] == "0" else int(p)
                   for p in parts]
    except ValueError:
        return False
    if any(n > 255 for n in numbers[:-1]):
        return False
    return numbers[-1] < 256 ** (5 - len(numbers))


# -- views ---------------------------------------------------------------------------------------

def redact_authorization(value: str) -> str:
    """`Bearer ` stays readable, the secret is masked like an embedder API key."""
    if value.startswith("Bearer "):
        return "Bearer " + hide_secret(value[len("Bearer "):])
    return hide_secret(value)


def webhook_view(uid: str, webhook: Webhook) -> dict[str, Any]:
    """The wire object: uuid, isEditable, url, headers (sorted, Authorization of any case masked)."""
    headers = {name: redact_authorization(value) if name.lower() == "authorization" else value
               for name, value in sorted(webhook["headers"].items())}
    return {"uuid": uid, "isEditable": uid != NIL_UUID, "url": webhook["url"], "headers": headers}


def cli_webhook(url: str | None, authorization: str | None = None) -> Webhook | None:
    """The webhook given on the command line, as a record (None when no URL is configured)."""
    if not url:
        return None
    headers = {"Authorization": authorization} if authorization is not None else {}
    return {"url": url, "headers": headers}


# -- storage -------------------------------------------------------------------------------------

class WebhookStore:
    """Runtime webhooks in the queue environment; every change is one short write transaction.

    Read-modify-write happens inside the write transaction, so two concurrent creations cannot
    both pass the 20-webhook limit.
    """

    def __init__(self, store: Store, cli: Webhook | None = None,
                 new_uuid: Callable[[], str] = lambda: str(uuidlib.uuid4())):
        self.store = store
        self.cli = cli
        self.new_uuid = new_uuid

    def runtime(self) -> dict[str, Webhook]:
        with self.store.queue_env.begin() as txn:
            return self._read(txn)

    def all(self) -> dict[str, Webhook]:
        """CLI webhook (nil uuid, hence first) and runtime webhooks, ordered by uuid."""
        merged = self.runtime()
        if self.cli is not None:
            merged[NIL_UUID] = self.cli
        return dict(sorted(merged.items()))

    def get(self, uid: str) -> Webhook:
        webhook = self.all().get(uid)
        if webhook is None:
            raise webhook_not_found(uid)
        return webhook

    def create(self, patch: WebhookPatch) -> tuple[str, Webhook]:
        uid = self.new_uuid()
        if isinstance(patch.headers, dict) and len(patch.headers) > MAX_HEADERS:
            raise too_many_headers(uid)
        with self.store.queue_env.begin(write=True) as txn:
            hooks = self._read(txn)
            if len(hooks) >= MAX_WEBHOOKS:
                raise too_many_webhooks()
            if patch.url is ABSENT or patch.url is None:
                raise missing_url(uid)
            given = patch.headers if isinstance(patch.headers, dict) else {}
            headers = {k: v if v is not None else "" for k, v in given.items()}
            webhook = {"url": patch.url, "headers": dict(sorted(headers.items()))}
            check_webhook(uid, webhook)
            hooks[uid] = webhook
            self._write(txn, hooks)
        return uid, webhook

    def update(self, uid: str, patch: WebhookPatch) -> Webhook:
        if uid == NIL_UUID:
            raise immutable_webhook(uid)
        with self.store.queue_env.begin(write=True) as txn:
            hooks = self._read(txn)
            if uid not in hooks:
                raise webhook_not_found(uid)
            webhook = merge(uid, hooks[uid], patch)
            check_webhook(uid, webhook)
            hooks[uid] = webhook
            self._write(txn, hooks)
        return webhook

    def delete(self, uid: str) -> None:
        if uid == NIL_UUID:
            raise immutable_webhook(uid)
        with self.store.queue_env.begin(write=True) as txn:
            hooks = self._read(txn)
            if hooks.pop(uid, None) is None:
                raise webhook_not_found(uid)
            self._write(txn, hooks)

    def replace_runtime(self, hooks: Mapping[str, Webhook]) -> None:
        """Install a whole set of runtime webhooks at once (dump import); checked like creations."""
        for uid, hook in hooks.items():
            check_webhook(uid, hook)
        if len(hooks) > MAX_WEBHOOKS:
            raise too_many_webhooks()
        with self.store.queue_env.begin(write=True) as txn:
            self._write(txn, {uid: {"url": h["url"], "headers": dict(sorted(h["headers"].items()))}
                              for uid, h in hooks.items()})

    def _read(self, txn: Any) -> dict[str, Webhook]:
        raw = txn.get(_META_KEY, db=self.store.q["meta"])
        return loads(raw) if raw is not None else {}

    def _write(self, txn: Any, hooks: Mapping[str, Webhook]) -> None:
        txn.put(_META_KEY, dumps(dict(sorted(hooks.items()))), db=self.store.q["meta"])


def merge(uid: str, old: Webhook, patch: WebhookPatch) -> Webhook:
    """PATCH semantics: url replaces (null = missing), headers merge (null value removes one,
    ``"headers": null`` removes all)."""
    if patch.url is None:
        raise missing_url(uid)
    url = old["url"] if patch.url is ABSENT else patch.url
    headers = dict(old["headers"])
    if patch.headers is None:
        headers.clear()
    elif patch.headers is not ABSENT:
        for name, value in patch.headers.items():
            if value is None:
                headers.pop(name, None)
            else:
                headers[name] = value
    if len(headers) > MAX_HEADERS:
        raise too_many_headers(uid)
    return {"url": url, "headers": dict(sorted(headers.items()))}


__all__ = [
    "ABSENT", "MAX_HEADERS", "MAX_WEBHOOKS", "NIL_UUID", "WebhookPatch", "WebhookStore",
    "check_webhook", "cli_webhook", "merge", "parse_body", "redact_authorization", "url_problem",
    "webhook_view",
]
