"""The `embedders` setting: which fields each source allows, and Meilisearch's exact complaints.

An embedder is a JSON object whose legal fields depend on its ``source`` (hybrid.md §1):

    userProvided: source, dimensions (mandatory), distribution, binaryQuantized
    rest:         source, apiKey, dimensions, documentTemplate, documentTemplateMaxBytes,
                  url (mandatory), indexingFragments, searchFragments, request (mandatory),
                  response (mandatory), headers, distribution, binaryQuantized

Checking happens in three passes, like Meilisearch:
1. *shape* (``parse_embedders``): types of every field, at request time, deserr wording with
   ``.embedders.<name>.<field>`` paths;
2. *semantics of the patch* (``check_embedders_patch``): zero sizes, URL syntax, the request and
   response templates, and — when the patch names a ``source`` — field availability and mandatory
   fields; still at request time, milli wording (``\\`.embedders.test\\`: ...``);
3. *merged result* (``merge_embedders``): the same availability rules against the embedder as it
   will be stored, plus the binary-quantisation ratchet; these fail the task.
"""
from __future__ import annotations

import re
from typing import Any

from ..errors import LoupeError
from .validate import invalid_value
from .checks import (
    check_bool,
    check_enum,
    check_number,
    check_object,
    check_str,
    check_uint,
    fields,
)

CODE = "invalid_settings_embedders"
MAX_EMBEDDERS = 256  # milli refuses more embedders than this in one index

SOURCES = ("openAi", "huggingFace", "ollama", "userProvided", "rest", "composite")
POOLINGS = ("useModel", "forceMean", "forceCls")

# deserr's accepted-fields list: the struct's declaration order.
EMBEDDER_FIELDS = (
    "source", "model", "revision", "pooling", "apiKey", "dimensions", "binaryQuantized",
    "documentTemplate", "documentTemplateMaxBytes", "url", "indexingFragments", "searchFragments",
    "request", "response", "headers", "searchEmbedder", "indexingEmbedder", "distribution",
)
# Order used in "available fields" notes and in GET/details output of one embedder.
META_ORDER = (
    "source", "model", "revision", "pooling", "apiKey", "dimensions", "documentTemplate",
    "documentTemplateMaxBytes", "url", "indexingFragments", "searchFragments", "request", "response",
    "headers", "searchEmbedder", "indexingEmbedder", "distribution", "binaryQuantized",
)
# Order milli checks availability in (its check_settings parameter order).
CHECK_ORDER = (
    "model", "revision", "pooling", "dimensions", "apiKey", "url", "indexingFragments", "searchFragments",
    "request", "response", "documentTemplate", "documentTemplateMaxBytes", "headers", "searchEmbedder",
    "indexingEmbedder", "binaryQuantized", "distribution",
)

_EVERYWHERE = {"source": "A", "distribution": "A", "binaryQuantized": "A"}
_TEMPLATED = {"documentTemplate": "A", "documentTemplateMaxBytes": "A"}
# source -> field -> "M" (mandatory) | "A" (allowed); anything absent is rejected.
FIELD_STATUS: dict[str, dict[str, str]] = {
    "openAi": {**_EVERYWHERE, "model": "A", "apiKey": "A", "dimensions": "A", **_TEMPLATED, "url": "A"},
    "huggingFace": {**_EVERYWHERE, "model": "A", "revision": "A", "pooling": "A", **_TEMPLATED},
    "ollama": {**_EVERYWHERE, "model": "M", "apiKey": "A", "dimensions": "A", **_TEMPLATED, "url": "A"},
    "userProvided": {**_EVERYWHERE, "dimensions": "M"},
    "rest": {
        **_EVERYWHERE, "apiKey": "A", "dimensions": "A", **_TEMPLATED, "url": "M", "indexingFragments": "A",
        "searchFragments": "A", "request": "M", "response": "M", "headers": "A",
    },
    "composite": {**_EVERYWHERE, "searchEmbedder": "M", "indexingEmbedder": "M"},
}

DEFAULT_DOCUMENT_TEMPLATE = (
    "{% for field in fields %}{% if field.is_searchable and field.value != nil %}"
    "{{ field.name }}: {{ field.value }}\n{% endif %}{% endfor %}"
)
DEFAULT_TEMPLATE_MAX_BYTES = 400
DEFAULT_MODELS = {"openAi": "text-embedding-3-small", "huggingFace": "BAAI/bge-base-en-v1.5"}
OPENAI_DIMENSIONS = {"text-embedding-ada-002": 1536, "text-embedding-3-small": 1536, "text-embedding-3-large": 3072}

FEATURE_LINKS = {
    "compositeEmbedders": ("composite embedders", "https://github.com/orgs/meilisearch/discussions/816"),
    "multimodal": ("multimodal", "https://github.com/orgs/meilisearch/discussions/846"),
}


def feature_error(action: str, feature: str) -> LoupeError:
    name, link = FEATURE_LINKS[feature]
    return LoupeError(
        "feature_not_enabled", f"{action} requires enabling the `{name}` experimental feature. See {link}"
    )


# -- pass 1: shape -----------------------------------------------------------------------------

def _distribution(value: Any, path: str, code: str) -> dict:
    parsed: dict[str, float] = {}
    for key, item, where in fields(check_object(value, path, code), path, code, ("mean", "sigma")):
        parsed[key] = check_number(item, where, code)
    for key in ("mean", "sigma"):
        if key not in parsed:
            where = f" inside `{path}`" if path else ""
            raise LoupeError(code, f"Missing field `{key}`{where}")
    mean, sigma = parsed["mean"], parsed["sigma"]
    if not 0.0 <= mean <= 1.0:
        raise invalid_value(path, f"the distribution mean must be in the range [0, 1], got {mean}", code)
    if not 0.0 < sigma <= 1.0:
        raise invalid_value(path, f"the distribution sigma must be in the range ]0, 1], got {sigma}", code)
    return {"mean": value["mean"], "sigma": value["sigma"]}


def _fragments(value: Any, path: str, code: str) -> dict:
    out: dict[str, Any] = {}
    for name, fragment in check_object(value, path, code).items():
        where = f"{path}.{name}"
        if fragment is None:
            out[name] = None
            continue
        frag = {k: v for k, v, _ in fields(check_object(fragment, where, code), where, code, ("value",))}
        if "value" not in frag:
            raise LoupeError(code, f"Missing field `value` inside `{where}`")
        out[name] = frag
    return out


def _field(key: str, value: Any, path: str, code: str) -> Any:
    if key == "source":
        return check_enum(value, path, code, SOURCES)
    if key == "pooling":
        return check_enum(value, path, code, POOLINGS)
    if key in ("model", "revision", "apiKey", "documentTemplate", "url"):
        return check_str(value, path, code)
    if key in ("dimensions", "documentTemplateMaxBytes"):
        return check_uint(value, path, code)
    if key == "binaryQuantized":
        return check_bool(value, path, code)
    if key == "headers":
        obj = check_object(value, path, code)
        return {name: check_str(v, f"{path}.{name}", code) for name, v in obj.items()}
    if key in ("indexingFragments", "searchFragments"):
        return _fragments(value, path, code)
    if key in ("searchEmbedder", "indexingEmbedder"):
        return parse_embedder(value, path, code)
    if key == "distribution":
        return _distribution(value, path, code)
    return value  # request / response: any JSON


def parse_embedder(value: Any, path: str, code: str = CODE) -> dict:
    """One embedder object: only the keys sent, ``None`` for the ones reset with ``null``."""
    out: dict[str, Any] = {}
    for key, item, where in fields(check_object(value, path, code), path, code, EMBEDDER_FIELDS):
        out[key] = None if item is None else _field(key, item, where, code)
    return out


def parse_embedders(value: Any, path: str, code: str = CODE) -> dict[str, dict | None]:
    obj = check_object(value, path, code)
    return {
        name: None if config is None else parse_embedder(config, f"{path}.{name}", code)
        for name, config in obj.items()
    }


# -- pass 2: the patch's own semantics (request time) ------------------------------------------

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")


def url_problem(url: str) -> str | None:
    """What the Rust `url` crate says about ``url``, for the common failures."""
    if not _URL.match(url):
        return "relative URL without a base"
    scheme, rest = url.split(":", 1)
    if scheme.lower() in ("http", "https", "ws", "wss", "ftp"):
        host = rest.lstrip("/").split("/", 1)[0].split("?", 1)[0].rsplit("@", 1)[-1]
        if not host or host.startswith(":"):
            return "empty host"
        if ":" in host and not host.startswith("["):
            port = host.rsplit(":", 1)[1]
            if port and (not port.isdigit() or int(port) > 65535):
                return "invalid port number"
    return None


def _count_placeholder(value: Any, placeholder: str) -> int:
    if value == placeholder:
        return 1
    if isinstance(value, dict):
        return sum(_count_placeholder(v, placeholder) for v in value.values())
    if isinstance(value, list):
        return sum(_count_placeholder(v, placeholder) for v in value)
    return 0


def _check_templates(name: str, config: dict, fragments_possible: bool) -> None:
    """`request` holds `{{text}}` (or fragment placeholders), `response` holds `{{embedding}}`:
    parsed by the rest embedder's own template parser, so a bad template is refused (400) with the
    message building the embedder would give (milli validates them with ``rest::RequestData`` and
    ``rest::Response``, as ``vector_embedding_error``)."""
    request, response = config.get("request"), config.get("response")
    if request is None:
        return
    if fragments_possible:
        _count_fragment_templates(name, request, response)
        return
    from ..embedders.errors import EmbeddingError
    from ..embedders.rest import parse_request, parse_response
    try:
        parsed = parse_request(request)
        if response is not None:
            parse_response(response, parsed)
    except EmbeddingError as err:
        raise LoupeError("vector_embedding_error", f"Error while generating embeddings: {err}") from None


def _count_fragment_templates(name: str, request: Any, response: Any) -> None:
    """With fragments the request holds `{{fragment}}` (multimodal, not embedded by Loupe yet):
    only the response's single `{{embedding}}` is checked."""
    if response is None:
        return
    found = _count_placeholder(response, "{{embedding}}")
    if found == 0:
        raise LoupeError(CODE, f"`.embedders.{name}.response`: template `{{{{embedding}}}}` not found")
    if found > 1:
        raise LoupeError(CODE, f"`.embedders.{name}.response`: template `{{{{embedding}}}}` appears more than once")


# A nested embedder (composite's `searchEmbedder` / `indexingEmbedder`) is named with its place.
NESTED = {"searchEmbedder": " for the search embedder", "indexingEmbedder": " for the indexing embedder"}


def field_status(source: str, field: str, nested: str | None = None) -> str | None:
    """"M", "A" or None (rejected); nested embedders take neither distribution nor binaryQuantized,
    and the search side renders no documents, so takes no documentTemplate (milli field_status)."""
    if field in ("distribution", "binaryQuantized"):
        return "A" if nested is None else None
    if nested == "searchEmbedder" and field in ("documentTemplate", "documentTemplateMaxBytes"):
        return None
    return FIELD_STATUS[source].get(field)


def _available_message(name: str, source: str, field: str, nested: str | None = None) -> str:
    where = f"{name}.{nested}" if nested else name
    context = NESTED.get(nested or "", "")
    sources = [s for s in SOURCES if field_status(s, field, nested)]
    allowed = [f for f in META_ORDER if field_status(source, f, nested)]
    text = f"`.embedders.{where}`: Field `{field}` unavailable for source `{source}`{context}."
    if sources:
        text += f"\n  - note: `{field}` is available for sources: " + ", ".join(f"`{s}`" for s in sources)
    text += f"\n  - note: available fields for source `{source}`{context}: " + ", ".join(f"`{f}`" for f in allowed)
    if nested and field_status(source, field):
        text += f"\n  - note: `{field}` is available when source `{source}` is not{context}"
    return text


def check_fields_for_source(name: str, source: str, config: dict, nested: str | None = None) -> None:
    """Disallowed fields must not be set; mandatory ones must be (a `null` does not count)."""
    for field in CHECK_ORDER:
        value = config.get(field)
        kind = field_status(source, field, nested)
        if kind is None and value is not None:
            raise LoupeError(CODE, _available_message(name, source, field, nested))
        if kind == "M" and value is None:
            raise LoupeError(
                CODE,
                f"`.embedders.{name}`: Missing field `{field}` (note: this field is mandatory for source `{source}`)",
            )


def _check_nested(name: str, config: dict) -> None:
    """A composite's two sides: each needs a source that embeds text itself (neither userProvided
    nor composite) and only that source's fields (milli validate_embedding_settings)."""
    for key in ("searchEmbedder", "indexingEmbedder"):
        sub = config.get(key)
        if sub is None:
            continue
        source = sub.get("source")
        if source is None:
            raise LoupeError(CODE, f"`.embedders.{name}.{key}`: Missing field `source`.\n"
                                   "  - note: this field is mandatory for nested embedders")
        if source in ("userProvided", "composite"):
            raise LoupeError(CODE, f"`.embedders.{name}.{key}.source`: Source `{source}` is not available in a "
                                   "nested embedder")
        check_fields_for_source(name, source, sub, key)


def _check_openai(name: str, config: dict) -> None:
    model = config.get("model")
    if model is None:
        return
    if model not in OPENAI_DIMENSIONS:
        supported = "[" + ", ".join(f'"{m}"' for m in OPENAI_DIMENSIONS) + "]"
        raise LoupeError(CODE, f"`.embedders.{name}.model`: Invalid model `{model}` for OpenAI. Supported models: {supported}")
    dims, native = config.get("dimensions"), OPENAI_DIMENSIONS[model]
    if dims is None:
        return
    if model == "text-embedding-ada-002" and dims != native:
        raise LoupeError(
            CODE,
            f"`.embedders.{name}.dimensions`: Model `{model}` does not support overriding its native dimensions of "
            f"{native}. Found {dims}",
        )
    if dims > native:
        raise LoupeError(
            CODE,
            f"`.embedders.{name}.dimensions`: Model `{model}` does not support overriding its dimensions to a value "
            f"higher than {native}. Found {dims}",
        )


def _check_fragments_or_template(config: dict) -> None:
    """A partial update may not give fragments and a documentTemplate together (milli checks this
    only for the patch: ``EmbeddingValidationContext::SettingsPartialUpdate``)."""
    counts = [sum(1 for f in (config.get(key) or {}).values() if f is not None)
              for key in ("indexingFragments", "searchFragments")]
    if any(counts) and config.get("documentTemplate") is not None:
        raise LoupeError(
            "vector_embedding_error",
            "Error while generating embeddings: user error: cannot pass both fragments and a document template.\n"
            f"  - Note: {counts[0]} fragments declared in `indexingFragments` and {counts[1]} fragments declared in "
            "`search_fragments_len`.\n  - Hint: remove the declared fragments or remove the `documentTemplate`",
        )


def check_embedder_semantics(name: str, config: dict, partial: bool = False) -> None:
    """milli's validate_embedding_settings, in its order: sizes, URL, (for a patch) fragments with a
    template, templates, then the source's fields."""
    if config.get("documentTemplateMaxBytes") == 0:
        raise LoupeError(
            CODE, f"`.embedders.{name}.documentTemplateMaxBytes`: `documentTemplateMaxBytes` cannot be zero"
        )
    if config.get("dimensions") == 0:
        raise LoupeError(CODE, f"`.embedders.{name}.dimensions`: `dimensions` cannot be zero")
    url = config.get("url")
    if url is not None:
        problem = url_problem(url)
        if problem:
            raise LoupeError(CODE, f"`.embedders.{name}.url`: could not parse `{url}`: {problem}")
    if partial:
        _check_fragments_or_template(config)
    fragments = bool(config.get("indexingFragments") or config.get("searchFragments"))
    _check_templates(name, config, fragments_possible=fragments)
    source = config.get("source")
    if source is None:
        return
    check_fields_for_source(name, source, config)
    if source == "openAi":
        _check_openai(name, config)
    if source == "composite":
        _check_nested(name, config)


def check_embedders_patch(patch: dict[str, dict | None], features: frozenset[str] | set[str]) -> None:
    """Request-time checks of a parsed ``embedders`` value: features first, then semantics."""
    for config in patch.values():
        if not config:
            continue
        if config.get("source") == "composite" and "compositeEmbedders" not in features:
            raise feature_error('using `"composite"` as source', "compositeEmbedders")
        for key in ("searchEmbedder", "indexingEmbedder"):
            if config.get(key) is not None and "compositeEmbedders" not in features:
                raise feature_error(f"setting `{key}`", "compositeEmbedders")
        for key in ("indexingFragments", "searchFragments"):
            if config.get(key) is not None and "multimodal" not in features:
                raise feature_error(f"setting `{key}`", "multimodal")
    for name, config in patch.items():
        if config:
            check_embedder_semantics(name, config, partial=True)


# -- pass 3: merge into the stored embedders (processing time) ----------------------------------

def with_defaults(config: dict) -> dict:
    """The embedder as Meilisearch stores and shows it: source and per-source defaults filled."""
    out = dict(config)
    source = out.setdefault("source", "openAi")
    if source in DEFAULT_MODELS:
        out.setdefault("model", DEFAULT_MODELS[source])
    if source == "huggingFace":
        out.setdefault("pooling", "useModel")
    fragments = out.get("indexingFragments") or out.get("searchFragments")
    if "documentTemplate" in FIELD_STATUS[source] and not fragments:  # fragments replace the template
        out.setdefault("documentTemplate", DEFAULT_DOCUMENT_TEMPLATE)
        out.setdefault("documentTemplateMaxBytes", DEFAULT_TEMPLATE_MAX_BYTES)
    if source == "rest":
        out.setdefault("headers", {})
    return {key: out[key] for key in EMBEDDER_FIELDS if out.get(key) is not None}


def merge_embedder(name: str, old: dict | None, patch: dict) -> dict:
    """Field-by-field merge; a change of source starts from a blank embedder of the new source."""
    if old is None or ("source" in patch and patch["source"] is not None and patch["source"] != old.get("source")):
        base: dict[str, Any] = {}
        if old is not None and old.get("binaryQuantized") and patch.get("binaryQuantized") is not False:
            base["binaryQuantized"] = True
    else:
        base = dict(old)  # stored defaults are re-derived below, so a `null` brings them back
    if old is not None and old.get("binaryQuantized") and patch.get("binaryQuantized") is False:
        raise LoupeError(
            CODE,
            f"`.embedders.{name}.binaryQuantized`: Cannot disable the binary quantization.\n"
            " - Note: Binary quantization is a lossy operation that cannot be reverted.\n"
            " - Hint: Add a new embedder that is non-quantized and regenerate the vectors.",
        )
    for key, value in patch.items():
        if value is None:
            base.pop(key, None)
        elif key in ("indexingFragments", "searchFragments"):
            _merge_fragments(base, key, value)
        else:
            base[key] = value
    if "source" not in base or base["source"] is None:
        base["source"] = "openAi"
    check_embedder_semantics(name, base)
    return with_defaults(base)


def _merge_fragments(base: dict, key: str, patch: dict[str, dict | None]) -> None:
    """Fragments merge by name: `null` removes one, one left out stays (fragments.rs
    `ommitted_fragment_isnt_removed`)."""
    merged = dict(base.get(key) or {})
    for name, fragment in patch.items():
        if fragment is None:
            merged.pop(name, None)
        else:
            merged[name] = fragment
    if merged:
        base[key] = merged
    else:
        base.pop(key, None)


def merge_embedders(old: dict[str, dict], patch: dict[str, dict | None] | None) -> dict[str, dict]:
    """PATCH semantics by name: ``null`` removes, objects merge. ``patch=None`` resets to ``{}``."""
    if patch is None:
        return {}
    merged = dict(old)
    for name, config in patch.items():
        if config is None:
            merged.pop(name, None)
        else:
            merged[name] = merge_embedder(name, old.get(name), config)
    if len(merged) > MAX_EMBEDDERS:
        raise LoupeError(CODE, f"Too many embedders in the configuration. Found {len(merged)}, but limited to 256.")
    return dict(sorted(merged.items()))


# -- secrets -----------------------------------------------------------------------------------

def hide_secret(secret: str) -> str:
    """Keep a few leading bytes, replace the rest (meilisearch-types `hide_secret`)."""
    raw = secret.encode()
    n = len(raw)
    if n < 10:
        keep, tail = 0, "XXX..."
    elif n < 20:
        keep, tail = 2, "XXXX..."
    elif n < 30:
        keep, tail = 3, "XXXXX..."
    else:
        keep, tail = 5, "XXXXXX..."
    return raw[:keep].decode(errors="ignore") + tail


def masked(config: dict | None) -> dict | None:
    if not config or not isinstance(config.get("apiKey"), str):
        return config
    return {**config, "apiKey": hide_secret(config["apiKey"])}


def embedder_view(config: dict) -> dict:
    """One embedder for GET and task details: declaration order, API key masked; a composite's
    two sides likewise."""
    ordered = {key: config[key] for key in EMBEDDER_FIELDS if key in config}
    for key in ("searchEmbedder", "indexingEmbedder"):
        if isinstance(ordered.get(key), dict):
            ordered[key] = embedder_view(ordered[key])
    for key in ("indexingFragments", "searchFragments"):  # by name, as milli's BTreeMap lists them
        if isinstance(ordered.get(key), dict):
            ordered[key] = dict(sorted(ordered[key].items()))
    return masked(ordered) or ordered

