"""A finished batch's `stats.progressTrace` (tasks.md §6): the steps of its processing, each
timed and printed as Meilisearch prints durations, the whole last."""
import re

from engine.engine import Engine
from server.app import create_app

KEY = "a-master-key-of-16-bytes"
AUTH = {"Authorization": f"Bearer {KEY}"}


async def test_progress_trace(tmp_path, aiohttp_client):
    engine = Engine(tmp_path / "db", worker="thread")
    try:
        client = await aiohttp_client(create_app(engine, master_key=KEY))
        r = await client.post("/indexes/movies/documents", json=[{"id": 1, "title": "Nemo"}], headers=AUTH)
        task = engine.wait_for_task((await r.json())["taskUid"])
        r = await client.get(f"/batches/{task['batchUid']}", headers=AUTH)
        trace = (await r.json())["stats"]["progressTrace"]
        assert list(trace) == ["processing tasks > applying the tasks", "processing tasks > committing the index",
                               "processing tasks"]
        assert all(re.fullmatch(r"\d+\.\d\d(s|ms|µs|ns)", value) for value in trace.values()), trace
    finally:
        engine.close()
