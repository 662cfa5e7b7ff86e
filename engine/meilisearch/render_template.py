"""POST /render-template: preview how Meilisearch renders a template (upstream `routes/render.rs`).

The body names a template and, optionally, what to render it with:

    {"template": {"kind": "documentTemplate", "indexUid": "movies", "embedder": "default"},
     "input":    {"kind": "indexDocument", "indexUid": "movies", "id": "42"}}
    -> {"template": "<the template, unrendered>", "rendered": "<the text>" | null without input}

Template kinds: `documentTemplate` (an embedder's), `chatDocumentTemplate` (the index's `chat`
setting, `chatCompletions` feature), `indexingFragment` / `searchFragment` (an embedder's fragments,
`multimodal`), `inlineDocumentTemplate`, `inlineFragment` (`multimodal`).  Input kinds:
`indexDocument`, `inlineDocument`, `inlineSearch` (`multimodal`).  Document templates render with
the embedders' own Liquid renderer (`engine.embedders.template`), whole (never truncated), with
`fields` searchable as the input index says (every field for an inline document); fragments are
JSON values whose strings are templates (`engine.embedders.fragments`).

Every error reads like upstream's: "error while fetching template: …", "error while fetching
input: …" or "error while rendering template: …", with upstream's codes.  The route checks the
`renderRoute` feature and the key's indexes before calling `render_template`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import orjson

from ..embedders.errors import EmbedderSetupError, TemplateRenderError
from ..embedders.fragments import FragmentError, JsonTemplate
from ..embedders.template import DEFAULT_TEMPLATE, DocumentTemplate
from ..errors import LoupeError, serde_unexpected
from ..indexer.fields import searchable_weight
from ..settings.checks import check_object, check_str, check_uint, fields, missing_field
from ..settings.features import feature_not_enabled
from ..settings.validate import expect_object, unknown_value
from ..store.codecs import external_id_key, read_u32
from .multi_search import INDEX_UID_RE, index_uid_error

TEMPLATE_KINDS = ("documentTemplate", "chatDocumentTemplate", "indexingFragment", "searchFragment",
                  "inlineDocumentTemplate", "inlineFragment")
INPUT_KINDS = ("indexDocument", "inlineDocument", "inlineSearch")
TEMPLATE_FIELDS = ("kind", "indexUid", "embedder", "fragment", "inline", "documentTemplateMaxBytes")
INPUT_FIELDS = ("kind", "indexUid", "id", "inline")
BODY_FIELDS = ("template", "input")
TEMPLATE_CODE, INPUT_CODE = "invalid_render_template", "invalid_render_input"

RENDER_ROUTE_LINK = "https://github.com/orgs/meilisearch/discussions/888"
MULTIMODAL_LINK = "https://github.com/orgs/meilisearch/discussions/846"
CHAT_LINK = "https://github.com/orgs/meilisearch/discussions/835"


@dataclass(frozen=True)
class TemplateSpec:
    kind: str
    index_uid: str | None = None
    embedder: str | None = None
    fragment: str | None = None
    inline: Any = None  # None = absent or null, as upstream's Option<Value>
    max_bytes: int | None = None


@dataclass(frozen=True)
class InputSpec:
    kind: str
    index_uid: str | None = None
    id: str | None = None
    inline: Any = None


@dataclass(frozen=True)
class RenderQuery:
    template: TemplateSpec
    input: InputSpec | None = None

    def index_uids(self) -> list[str]:
        """The indexes the request reads, which the caller's key must cover."""
        uids = [self.template.index_uid, self.input.index_uid if self.input else None]
        return [uid for uid in dict.fromkeys(uids) if uid is not None]


# -- the body (deserr's reading: fields in order, first problem wins, then missing fields) ----------

def parse_render_body(body: Any) -> RenderQuery:
    body = expect_object(body)
    template: TemplateSpec | None = None
    given_input: InputSpec | None = None
    for key, value, path in fields(body, "", "bad_request", BODY_FIELDS):
        if key == "template":
            template = _template_spec(value, path)
        elif value is not None:
            given_input = _input_spec(value, path)
    if template is None:
        raise missing_field("template", "", "bad_request")
    return RenderQuery(template, given_input)


def _template_spec(value: Any, path: str) -> TemplateSpec:
    found: dict[str, Any] = {}
    for key, item, where in fields(check_object(value, path, TEMPLATE_CODE), path, TEMPLATE_CODE, TEMPLATE_FIELDS):
        found[key] = _field(key, item, where, TEMPLATE_CODE, TEMPLATE_KINDS)
    if "kind" not in found:
        raise missing_field("kind", path, TEMPLATE_CODE)
    return TemplateSpec(found["kind"], found.get("indexUid"), found.get("embedder"), found.get("fragment"),
                        found.get("inline"), found.get("documentTemplateMaxBytes"))


def _input_spec(value: Any, path: str) -> InputSpec:
    found: dict[str, Any] = {}
    for key, item, where in fields(check_object(value, path, INPUT_CODE), path, INPUT_CODE, INPUT_FIELDS):
        found[key] = _field(key, item, where, INPUT_CODE, INPUT_KINDS)
    if "kind" not in found:
        raise missing_field("kind", path, INPUT_CODE)
    return InputSpec(found["kind"], found.get("indexUid"), found.get("id"), found.get("inline"))


def _field(key: str, value: Any, path: str, code: str, kinds: tuple[str, ...]) -> Any:
    if key == "kind":
        kind = check_str(value, path, code)
        if kind not in kinds:
            raise unknown_value(kind, path, kinds, code)
        return kind
    if value is None or key == "inline":
        return value
    if key == "indexUid":
        uid = check_str(value, path, code)
        if not INDEX_UID_RE.match(uid):
            raise index_uid_error(uid, path)
        return uid
    if key == "documentTemplateMaxBytes":
        return check_uint(value, path, code, nonzero=True)
    return check_str(value, path, code)


# -- errors -------------------------------------------------------------------------------------------

def _fetching_template(message: str, code: str = TEMPLATE_CODE) -> LoupeError:
    return LoupeError(code, f"error while fetching template: {message}")


def _fetching_input(message: str, code: str = INPUT_CODE) -> LoupeError:
    return LoupeError(code, f"error while fetching input: {message}")


def _rendering(message: str) -> LoupeError:
    return LoupeError("template_rendering_error", f"error while rendering template: {message}")


_ATTRIBUTES = {"index_uid": "index_uid", "indexUid": "index_uid", "embedder": "embedder", "fragment": "fragment",
               "inline": "inline", "document_template_max_bytes": "max_bytes", "id": "id"}


# -- the template ---------------------------------------------------------------------------------------

@dataclass
class Template:
    """A document template (Liquid text) or a fragment (a JSON template), with what it was fetched from."""

    value: Any                              # what the response shows as `template`
    prompt: DocumentTemplate | None = None
    fragment: JsonTemplate | None = None


# each kind: the feature it needs (name, action, display name), then its parameter rules in upstream's
# order: ("-", p) p must be absent (or null), ("+", p) p must be given
_TEMPLATE_RULES: dict[str, tuple[tuple[str, str, str] | None, list[tuple[str, str]]]] = {
    "documentTemplate": (None, [("-", "fragment"), ("-", "inline"), ("+", "index_uid"), ("+", "embedder")]),
    "chatDocumentTemplate": (("chatCompletions", "accessing chat settings", "chat completions"),
                             [("+", "index_uid"), ("-", "embedder"), ("-", "fragment"), ("-", "inline")]),
    "indexingFragment": (("multimodal", "accessing fragments", "multimodal"),
                         [("+", "index_uid"), ("+", "embedder"), ("+", "fragment"), ("-", "inline"),
                          ("-", "document_template_max_bytes")]),
    "searchFragment": (("multimodal", "accessing fragments", "multimodal"),
                       [("+", "index_uid"), ("+", "embedder"), ("+", "fragment"), ("-", "inline"),
                        ("-", "document_template_max_bytes")]),
    "inlineDocumentTemplate": (None, [("-", "index_uid"), ("-", "embedder"), ("-", "fragment"), ("+", "inline")]),
    "inlineFragment": (("multimodal", "rendering an inline fragment", "multimodal"),
                       [("-", "index_uid"), ("-", "embedder"), ("-", "fragment"), ("+", "inline"),
                        ("-", "document_template_max_bytes")]),
}
_FEATURE_LINKS = {"chatCompletions": CHAT_LINK, "multimodal": MULTIMODAL_LINK}


def _apply_rules(kind: str, spec: Any, rules: list[tuple[str, str]], error: Callable[[str], LoupeError]) -> None:
    for rule, name in rules:
        value = getattr(spec, _ATTRIBUTES[name])
        if rule == "-" and value is not None:
            raise error(f"parameter `{name}` disallowed for kind `{kind}`")
        if rule == "+" and value is None:
            raise error(f"parameter `{name}` missing for kind `{kind}`")


def _gate(feature: tuple[str, str, str] | None, enabled: frozenset[str], wrap: Callable[..., LoupeError]) -> None:
    if feature is not None and feature[0] not in enabled:
        gate = feature_not_enabled(feature[1], feature[2], _FEATURE_LINKS[feature[0]])
        raise wrap(gate.message, "feature_not_enabled")


def fetch_template(engine: Any, spec: TemplateSpec, enabled: frozenset[str]) -> Template:
    feature, rules = _TEMPLATE_RULES[spec.kind]
    _gate(feature, enabled, _fetching_template)
    _apply_rules(spec.kind, spec, rules, _fetching_template)
    if spec.kind == "inlineDocumentTemplate":
        if not isinstance(spec.inline, str):
            raise _fetching_template("inline document templates must be strings")
        return Template(spec.inline, prompt=_prompt(spec.inline, _fetching_template))
    if spec.kind == "inlineFragment":
        return Template(spec.inline, fragment=_fragment(spec.inline))
    assert spec.index_uid is not None
    settings = _index_settings(engine, spec.index_uid, lambda message: _fetching_template(
        f"cannot open index `{spec.index_uid}`: {message}", "index_not_found"))
    if spec.kind == "chatDocumentTemplate":
        text = (settings.get("chat") or {}).get("documentTemplate") or DEFAULT_TEMPLATE
        return Template(text, prompt=_prompt(text, _fetching_template))
    return _embedder_template(spec, settings)


def _embedder_template(spec: TemplateSpec, settings: dict[str, Any]) -> Template:
    uid, name = spec.index_uid, spec.embedder
    config = (settings.get("embedders") or {}).get(name)
    if config is None:
        if spec.kind == "searchFragment":  # upstream reports this one as an indexing fragment
            raise _fetching_template(f"cannot find indexing fragment `{spec.fragment}` for embedder `{name}` "
                                     f"in index `{uid}`")
        raise _fetching_template(f"cannot find embedder `{name}` in index `{uid}`")
    if spec.kind == "documentTemplate":
        if not _has_document_template(config, settings):
            raise _fetching_template(f"embedder `{name}` in index `{uid}` does not use a document template.")
        text = config.get("documentTemplate") or DEFAULT_TEMPLATE
        return Template(text, prompt=_prompt(text, _fetching_template))
    fragments = config.get("indexingFragments" if spec.kind == "indexingFragment" else "searchFragments") or {}
    if not (config.get("indexingFragments") or config.get("searchFragments")):
        raise _fetching_template(f"embedder `{name}` in index `{uid}` does not use fragments.")
    fragment = fragments.get(spec.fragment)
    if fragment is None:
        which = "indexing" if spec.kind == "indexingFragment" else "search"
        raise _fetching_template(f"cannot find {which} fragment `{spec.fragment}` for embedder `{name}` "
                                 f"in index `{uid}`")
    value = fragment.get("value") if isinstance(fragment, dict) else fragment
    return Template(value, fragment=_fragment(value))


def _has_document_template(config: dict[str, Any], settings: dict[str, Any]) -> bool:
    """Embedders that render documents through a documentTemplate: not userProvided, not a
    fragment embedder (a composite one answers for its indexing embedder)."""
    if config.get("source") == "composite":
        config = config.get("indexingEmbedder") or {}
    if config.get("indexingFragments") or config.get("searchFragments"):
        return False
    return config.get("source") != "userProvided"


def _prompt(text: str, error: Callable[..., LoupeError]) -> DocumentTemplate:
    try:
        return DocumentTemplate(text)
    except EmbedderSetupError as exc:
        raise error(exc.message, "template_parsing_error") from None


def _fragment(value: Any) -> JsonTemplate:
    try:
        return JsonTemplate(value)
    except FragmentError as exc:
        raise _fetching_template(exc.message, "template_parsing_error") from None


# -- the input ------------------------------------------------------------------------------------------

@dataclass
class Input:
    kind: str
    document: dict[str, Any] | None = None
    searchable: Callable[[str], bool] = lambda _field: True
    q: str | None = None
    media: Any = None
    has_media: bool = False


_INPUT_RULES: dict[str, list[tuple[str, str]]] = {
    "indexDocument": [("+", "indexUid"), ("+", "id"), ("-", "inline")],
    "inlineDocument": [("-", "index_uid"), ("-", "id"), ("+", "inline")],
    "inlineSearch": [("-", "index_uid"), ("-", "id"), ("+", "inline")],
}


def fetch_input(engine: Any, spec: InputSpec, enabled: frozenset[str]) -> Input:
    settings = None
    if spec.index_uid is not None:  # upstream opens the input's index before looking at the rest
        settings = _index_settings(engine, spec.index_uid,
                                   lambda message: LoupeError("index_not_found", f"Cannot open index "
                                                                                 f"`{spec.index_uid}`: {message}"))
    if spec.kind == "inlineSearch":
        _gate(("multimodal", "rendering search", "multimodal"), enabled, _fetching_input)
    _apply_rules(spec.kind, spec, _INPUT_RULES[spec.kind], _fetching_input)
    if spec.kind == "indexDocument":
        assert spec.index_uid is not None and spec.id is not None and settings is not None
        document = _stored_document(engine, spec.index_uid, spec.id)
        searchable = settings.get("searchableAttributes") or ["*"]
        return Input(spec.kind, document, lambda field: searchable_weight(field, searchable) is not None)
    if spec.kind == "inlineDocument":
        return Input(spec.kind, _json_map(spec.inline, "parsing inline document",
                                          "the inline document must be a JSON map"))
    search = _json_map(spec.inline, "parsing inline search",
                       "the inline search query must be a JSON map containing `q` and/or `media`")
    q = search.get("q")
    if "q" in search and not isinstance(q, str):
        raise _fetching_input("`q` is not a string")
    return Input(spec.kind, q=q, media=search.get("media"), has_media="media" in search)


def _json_map(value: Any, what: str, note: str) -> dict[str, Any]:
    """serde's reading of a JSON value as a map, and its error (position = where it stopped)."""
    if isinstance(value, dict):
        return value
    column = 0 if isinstance(value, list) else len(orjson.dumps(value))
    raise _fetching_input(f"{what}: invalid type: {serde_unexpected(value)}, expected a map at line 1 "
                          f"column {column}\n  - Note: {note}")


def _index_settings(engine: Any, uid: str, wrap: Callable[[str], LoupeError]) -> dict[str, Any]:
    with engine.store.index_env.begin() as txn:
        record = engine.registry.get(txn, uid)
        if record is None:
            raise wrap(f"Index `{uid}` not found.")
        return engine.registry.get_meta(txn, record["iid"], "settings") or {}


def _stored_document(engine: Any, uid: str, external_id: str) -> dict[str, Any]:
    from ..index import read_documents
    store = engine.store
    with store.index_env.begin() as txn:
        record = engine.registry.get(txn, uid)
        raw = txn.get(external_id_key(record["iid"], external_id), db=store.i["external_ids"]) if record else None
        document = read_documents(store, txn, record["iid"], [read_u32(raw)])[0] if raw is not None else None
    if document is None:
        raise _fetching_input(f"document `{external_id}` not found in `{uid}`", "render_document_not_found")
    return document


# -- rendering ------------------------------------------------------------------------------------------

def render(template: Template, given: Input) -> Any:
    try:
        if template.prompt is not None:
            if given.document is None:
                raise _rendering("cannot render a document template with a search query")
            return template.prompt.render(given.document, given.searchable)
        assert template.fragment is not None
        if given.document is not None:
            return template.fragment.render_document(given.document)
        return template.fragment.render_search(given.q, given.media, given.has_media)
    except (TemplateRenderError, FragmentError) as exc:
        raise _rendering(exc.message) from None


def render_template(engine: Any, query: RenderQuery, enabled: frozenset[str]) -> dict[str, Any]:
    """The route's answer once its feature and the key's indexes are checked: the template as
    fetched, and its rendering of the input (null without one)."""
    template = fetch_template(engine, query.template, enabled)
    rendered = None
    if query.input is not None:
        rendered = render(template, fetch_input(engine, query.input, enabled))
    return {"template": template.value, "rendered": rendered}


def render_route_disabled() -> LoupeError:
    return feature_not_enabled("calling the /render-template route", "render_route", RENDER_ROUTE_LINK)


__all__ = ["parse_render_body", "render_template", "render_route_disabled", "RenderQuery", "TemplateSpec",
           "InputSpec"]
