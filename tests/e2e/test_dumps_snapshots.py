"""Dumps and snapshots through the official client and the CLI flags.

Properties:
1. POST /dumps writes `<dump-dir>/<dumpUid>.dump`; `--import-dump` into a new db path restores indexes,
   documents (in order), settings, keys (same key values with the same master key), tasks and the
   dynamic search rules;
2. POST /snapshots writes `<snapshot-dir>/data.ms.snapshot`; `--import-snapshot` restores it (the
   dynamic search rules included);
3. importing into an existing database is refused unless told to ignore it.
"""
import subprocess
import sys

from support import MASTER_KEY, LoupeProcess


def _populate(client):
    index = client.index("movies")
    client.wait_for_task(index.update_settings({"filterableAttributes": ["genre"], "searchableAttributes": ["title"]}).task_uid)
    client.wait_for_task(index.add_documents([{"id": i, "title": f"movie {i}", "genre": "drama"} for i in range(50)]).task_uid)
    client.update_experimental_features({"dynamicSearchRules": True})
    client.wait_for_task(client.update_dynamic_search_rule("last-first", {"conditions": {"query": {"isEmpty": True}}, "actions": [
        {"selector": {"id": "49"}, "action": {"type": "pin", "position": 0}}]}).task_uid)
    return client.create_key({"actions": ["search"], "indexes": ["movies"], "expiresAt": None, "name": "mine"})


def test_dump_round_trip(tmp_path):
    dumps = tmp_path / "dumps"
    source = LoupeProcess(tmp_path / "a" / "data.ms", extra=["--dump-dir", str(dumps)]).start()
    try:
        client = source.client()
        key = _populate(client)
        task = client.wait_for_task(client.create_dump().task_uid)
        assert task.status == "succeeded"
        dump_uid = task.details["dumpUid"]
        assert (dumps / f"{dump_uid}.dump").exists()
        tasks_before = client.get_tasks({"limit": 1000}).total
    finally:
        source.stop()
    restored = LoupeProcess(tmp_path / "b" / "data.ms", extra=["--import-dump", str(dumps / f"{dump_uid}.dump")]).start()
    try:
        client = restored.client()
        index = client.index("movies")
        assert index.get_stats().number_of_documents == 50
        assert [d.id for d in index.get_documents({"limit": 3}).results] == [0, 1, 2]
        assert index.get_searchable_attributes() == ["title"]
        assert [h["id"] for h in index.search("movie 7", {"filter": "genre = drama", "limit": 1})["hits"]] == [7]
        assert client.get_key(key.uid).key == key.key
        assert client.get_tasks({"limit": 1000}).total >= tasks_before
        assert client.get_dynamic_search_rule("last-first").actions[0]["selector"] == {"id": "49"}
        assert index.search("", {"limit": 1})["hits"][0]["id"] == 49
    finally:
        restored.stop()


def test_snapshot_round_trip(tmp_path):
    snapshots = tmp_path / "snaps"
    source = LoupeProcess(tmp_path / "a" / "data.ms", extra=["--snapshot-dir", str(snapshots)]).start()
    try:
        client = source.client()
        _populate(client)
        assert client.wait_for_task(client.create_snapshot().task_uid).status == "succeeded"
        assert (snapshots / "data.ms.snapshot").exists()
    finally:
        source.stop()
    restored = LoupeProcess(tmp_path / "b" / "data.ms",
                            extra=["--import-snapshot", str(snapshots / "data.ms.snapshot")]).start()
    try:
        client = restored.client()
        assert client.index("movies").get_stats().number_of_documents == 50
        assert client.get_dynamic_search_rule("last-first").uid == "last-first"
        assert client.index("movies").search("", {"limit": 1})["hits"][0]["id"] == 49
    finally:
        restored.stop()


def test_import_refuses_existing_database(tmp_path):
    db = tmp_path / "data.ms"
    server = LoupeProcess(db).start()
    server.stop()
    missing = tmp_path / "nope.dump"
    result = subprocess.run([sys.executable, "-m", "server", "--db-path", str(db), "--master-key", MASTER_KEY,
                             "--import-dump", str(missing)], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "already exists" in result.stderr or "doesn't exist" in result.stderr
