"""Index settings: Meilisearch's defaults, validation messages and merge rules, with no storage.

A settings change travels request -> patch -> task -> stored settings:

    body = {"rankingRules": ["words", "price:desc"], "typoTolerance": {"enabled": False}}
    patch = validate_settings_patch(body)          # 400-time checks, coded LoupeError
    details = task_details(patch)                  # what the settingsUpdate task shows
    stored = apply_patch(stored, patch)            # at processing time; may fail the task
    rebuild = reindex_needed(old_stored, stored)   # {"search", "facets", "vectors"} subset
    settings_view(stored, features)                # GET /settings

``registry`` lists every setting as data; ``values`` and ``embedders`` hold the per-setting
validators; ``patch`` validates and merges; ``views`` renders.  ``validate`` holds the deserr-style
error messages (shared with request parsing), ``features`` the runtime experimental features.
"""
from .embedders import hide_secret
from .patch import apply_patch, reset_all, sub_route_patch, validate_setting_value, validate_settings_patch
from .registry import BY_ROUTE, SETTING_NAMES, SETTINGS, SETTINGS_BY_NAME, Setting, default_settings, lookup
from .views import reindex_needed, setting_view, settings_view, task_details

__all__ = [
    "BY_ROUTE",
    "SETTINGS",
    "SETTINGS_BY_NAME",
    "SETTING_NAMES",
    "Setting",
    "apply_patch",
    "default_settings",
    "hide_secret",
    "lookup",
    "reindex_needed",
    "reset_all",
    "setting_view",
    "settings_view",
    "sub_route_patch",
    "task_details",
    "validate_setting_value",
    "validate_settings_patch",
]
