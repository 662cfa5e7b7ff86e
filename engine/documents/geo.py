"""Validation of the reserved `_geo` field (filters-facets.md §3.5, tasks.md §5.1).

Checked only when `_geo` is filterable or sortable, like Meilisearch, whose geo extraction only
runs then.  A bad `_geo` fails the document's task with `invalid_document_geo_field`.
"""
from __future__ import annotations

import math
from typing import Any

from ..errors import LoupeError
from ..settings.validate import compact_json


def _coordinate(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def check_geo(document: dict[str, Any], external_id: Any, index_uid: str) -> None:
    if "_geo" not in document or document["_geo"] is None:
        return
    geo = document["_geo"]
    doc_id = compact_json(str(external_id))  # upstream names the document by its external id, a string

    def fail(message: str) -> LoupeError:
        return LoupeError("invalid_document_geo_field", f"Index `{index_uid}`: {message}")

    if not isinstance(geo, dict):
        raise fail(f"The `_geo` field in the document with the id: `{doc_id}` is not an object. Was expecting an "
                   f"object with the `_geo.lat` and `_geo.lng` fields but instead got `{compact_json(geo)}`.")
    # upstream looks for `lat` and `lng` first: other fields only matter once both are there
    if "lat" not in geo and "lng" not in geo:
        raise fail(f"Could not find latitude nor longitude in the document with the id: `{doc_id}`. Was expecting "
                   "`_geo.lat` and `_geo.lng` fields.")
    if "lat" not in geo:
        raise fail(f"Could not find latitude in the document with the id: `{doc_id}`. Was expecting a `_geo.lat` field.")
    if "lng" not in geo:
        raise fail(f"Could not find longitude in the document with the id: `{doc_id}`. Was expecting a `_geo.lng` field.")
    extra = {k: v for k, v in geo.items() if k not in ("lat", "lng")}
    if extra:
        raise fail(f"The `_geo` field in the document with the id: `{doc_id}` contains the following unexpected "
                   f"fields: `{compact_json(extra)}`.")
    lat, lng = _coordinate(geo["lat"]), _coordinate(geo["lng"])
    if lat is None and lng is None:
        raise fail(f"Could not parse latitude nor longitude in the document with the id: `{doc_id}`. Was expecting "
                   f"finite numbers but instead got `{compact_json(geo['lat'])}` and `{compact_json(geo['lng'])}`.")
    if lat is None:
        raise fail(f"Could not parse latitude in the document with the id: `{doc_id}`. Was expecting a finite number "
                   f"but instead got `{compact_json(geo['lat'])}`.")
    if lng is None:
        raise fail(f"Could not parse longitude in the document with the id: `{doc_id}`. Was expecting a finite number "
                   f"but instead got `{compact_json(geo['lng'])}`.")
