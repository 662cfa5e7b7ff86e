"""/indexes/{uid}/settings and its sub-routes (api.md §4)."""
from __future__ import annotations

from aiohttp import web

from engine.settings import (SETTINGS, setting_view, settings_view, sub_route_patch,
                             task_details, validate_settings_patch)
from engine.tasks.task import summary_view

from ..http import Router, json_body, json_response, validate_index_uid


def _features(request: web.Request) -> frozenset[str]:
    return request.app["features"].enabled()


def _enqueue(request: web.Request, index_uid: str, patch: dict, *, reset: bool) -> web.Response:
    grant = request["grant"]
    task = request.app["engine"].update_settings(
        index_uid, patch, task_details(patch), reset=reset,
        allow_index_creation=grant.can_create_index(index_uid))
    return json_response(summary_view(task), status=202)


async def get_settings(request: web.Request, index_uid: str) -> web.Response:
    validate_index_uid(index_uid)
    return json_response(settings_view(request.app["engine"].index(index_uid).settings(), _features(request)))


async def patch_settings(request: web.Request, index_uid: str) -> web.Response:
    validate_index_uid(index_uid)
    patch = validate_settings_patch(await json_body(request), _features(request))
    return _enqueue(request, index_uid, patch, reset=False)


async def reset_settings(request: web.Request, index_uid: str) -> web.Response:
    validate_index_uid(index_uid)
    patch = {name: None for name in settings_view(_defaults(), _features(request))}
    return _enqueue(request, index_uid, patch, reset=True)


def _defaults() -> dict:
    from engine.settings import default_settings
    return default_settings()


def _sub_routes(router: Router) -> None:
    for setting in SETTINGS:
        path = f"/indexes/{{index_uid}}/settings/{setting.route}"
        name = setting.name

        async def get_one(request: web.Request, index_uid: str, _name: str = name) -> web.Response:
            validate_index_uid(index_uid)
            settings = request.app["engine"].index(index_uid).settings()
            return json_response(setting_view(_name, settings))

        async def update_one(request: web.Request, index_uid: str, _name: str = name) -> web.Response:
            validate_index_uid(index_uid)
            value = await json_body(request, optional=True)
            patch = sub_route_patch(_name, value, _features(request))
            return _enqueue(request, index_uid, patch, reset=False)

        async def reset_one(request: web.Request, index_uid: str, _name: str = name) -> web.Response:
            validate_index_uid(index_uid)
            return _enqueue(request, index_uid, {_name: None}, reset=True)

        router.add("GET", path, get_one, "settings.get")
        router.add(setting.verb, path, update_one, "settings.update")
        router.add("DELETE", path, reset_one, "settings.update")


def register(router: Router) -> None:
    base = "/indexes/{index_uid}/settings"
    router.add("GET", base, get_settings, "settings.get")
    router.add("PATCH", base, patch_settings, "settings.update")
    router.add("DELETE", base, reset_settings, "settings.update")
    _sub_routes(router)
