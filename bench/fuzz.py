"""The long fuzzing run (issue 19, point 6): the property of tests/fuzzing.py over many inputs.

    python bench/fuzz.py                      # 2,000 inputs per target
    python bench/fuzz.py --examples 20000 --seed 7 --targets documents,filters

Targets: `documents` (document payloads, several per batch), `bodies` (a random body on every
route that reads JSON), `filters` (the filter language on search, fetch and facet search).
Unlike the CI run it does not stop at the first failure: every input is tried, each broken one is
recorded under the first line of what broke, and the run ends with the number of inputs tried,
the number of requests and tasks checked, and each distinct failure with one input that caused it.
Exit status 1 when anything broke.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

import orjson  # noqa: E402
from hypothesis import HealthCheck, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from fuzzing import BODIES, FILTERS, OUTBOUND, PAYLOADS, SETTINGS, Harness, PropertyBroken, json_body_routes  # noqa: E402


class Tally:
    """Inputs tried and failures found, deduplicated by the first line of their description."""

    def __init__(self) -> None:
        self.tried = 0
        self.failures: dict[str, tuple[int, str]] = {}

    def run(self, property_: Callable[[], None], describe: Callable[[], str]) -> None:
        self.tried += 1
        try:
            property_()
        except PropertyBroken as exc:
            self._record(str(exc), describe)
        except Exception as exc:  # a crash of the harness is a finding too
            self._record(f"{type(exc).__name__}: {exc}", describe)

    def _record(self, what: str, describe: Callable[[], str]) -> None:
        key = what.splitlines()[0][:300]
        count, example = self.failures.get(key, (0, describe()[:1000]))
        self.failures[key] = (count + 1, example)


def _settings(examples: int, seed_value: int) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Many examples, no shrinking (each failure is recorded, not minimised), a given seed."""
    config = settings(max_examples=examples, deadline=None, database=None,
                      phases=[p for p in settings.default.phases if p.name in ("explicit", "generate")],
                      suppress_health_check=list(HealthCheck))
    return lambda test: seed(seed_value)(config(test))


def fuzz_documents(h: Harness, tally: Tally, examples: int, seed: int) -> None:
    @_settings(examples, seed)
    @given(payloads=st.lists(PAYLOADS, min_size=1, max_size=4), primary_key=st.sampled_from([None, "id", "title"]),
           new_settings=st.one_of(st.none(), SETTINGS))
    def target(payloads: list[tuple[bytes, str]], primary_key: str | None, new_settings: Any) -> None:
        def prop() -> None:
            if new_settings is not None:
                h.request("PATCH", "/indexes/docs/settings", orjson.dumps(new_settings))
            query = f"?primaryKey={primary_key}" if primary_key else ""
            for body, content_type in payloads:
                h.request("POST", f"/indexes/docs/documents{query}", body, content_type)
            h.process()
            h.request("POST", "/indexes/docs/search", b'{"q": "a", "limit": 3}')
            h.request("GET", "/indexes/docs/documents?limit=3")
        tally.run(prop, lambda: f"settings {new_settings!r:.300} then " + repr([(body[:300], ct) for body, ct in payloads]))
    target()


def fuzz_bodies(h: Harness, tally: Tally, examples: int, seed: int) -> None:
    routes = json_body_routes()

    @_settings(examples, seed)
    @given(route=st.sampled_from(routes), body=BODIES)
    def target(route: tuple[str, str], body: Any) -> None:
        def prop() -> None:
            status, _ = h.request(route[0], route[1], orjson.dumps(body))
            if status == 202 and route not in OUTBOUND:
                h.process()
        tally.run(prop, lambda: f"{route} {orjson.dumps(body)[:600]!r}")
    target()


def fuzz_filters(h: Harness, tally: Tally, examples: int, seed: int) -> None:
    @_settings(examples, seed)
    @given(filter=FILTERS)
    def target(filter: Any) -> None:
        def prop() -> None:
            body = orjson.dumps({"filter": filter})
            h.request("POST", "/indexes/films/search", body)
            h.request("POST", "/indexes/films/documents/fetch", body)
            h.request("POST", "/indexes/films/facet-search", orjson.dumps({"facetName": "genre", "filter": filter}))
            if isinstance(filter, str) and len(urllib.parse.quote(filter)) < 8_000:
                h.request("GET", "/indexes/films/search?filter=" + urllib.parse.quote(filter))
        tally.run(prop, lambda: repr(filter)[:600])
    target()


TARGETS = {"documents": fuzz_documents, "bodies": fuzz_bodies, "filters": fuzz_filters}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=2_000, help="inputs per target")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--targets", default=",".join(TARGETS))
    args = parser.parse_args()
    failed = False
    with tempfile.TemporaryDirectory(prefix="loupe-fuzz-") as tmp:
        h = Harness(Path(tmp))
        h.prepare()
        try:
            for name in args.targets.split(","):
                tally = Tally()
                requests, tasks, start = h.requests, h.tasks_checked, time.monotonic()
                TARGETS[name](h, tally, args.examples, args.seed)
                print(f"{name}: {tally.tried} inputs, {h.requests - requests} requests, "
                      f"{h.tasks_checked - tasks} tasks checked, {time.monotonic() - start:.0f} s, "
                      f"{len(tally.failures)} distinct failures")
                for what, (count, example) in sorted(tally.failures.items(), key=lambda kv: -kv[1][0]):
                    failed = True
                    print(f"  x{count}  {what}\n        e.g. {example}")
        finally:
            h.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
