"""Qdrant collections, similars projects and turbopuffer namespaces are Loupe indexes: a dump and a
snapshot carry them, and the restored server answers every dialect exactly as the source did
(issue 18 §4)."""
import httpx
import turbopuffer
from qdrant_client import QdrantClient, models

from support import LoupeProcess


def _populate(server: LoupeProcess) -> None:
    qdrant = QdrantClient(url=server.url + "/qdrant", api_key=server.master_key, https=False)
    qdrant.create_collection("shapes", vectors_config={
        "edge": models.VectorParams(size=2, distance=models.Distance.DOT),
        "face": models.VectorParams(size=2, distance=models.Distance.COSINE)})
    qdrant.upsert("shapes", points=[
        models.PointStruct(id=1, vector={"edge": [1, 2], "face": [3, 4]}, payload={"kind": "Square"}),
        models.PointStruct(id=2, vector={"edge": [2, -1], "face": [1, 0]}, payload={"kind": "circle"})])
    response = httpx.post(server.url + "/v1/embeddings/ann/notes", headers=_bearer(server), json={"embeddings": [
        {"id": "n1", "vector": [1, 0], "metadata": {"topic": "Maths"}},
        {"id": "n2", "vector": [1, 1], "metadata": {"topic": "maths"}},
        {"id": "n3", "vector": [0, 1]}]})
    assert response.json() == {"upserted": 3}
    tpuf = turbopuffer.Turbopuffer(base_url=server.url + "/tpuf", api_key=server.master_key).namespace("texts")
    tpuf.write(upsert_rows=[{"id": 1, "vector": [1, 0], "text": "quick fox"}, {"id": 2, "vector": [0, 1], "text": "lazy dog"}],
               distance_metric="euclidean_squared", schema={"text": {"type": "string", "full_text_search": True}})


def _bearer(server: LoupeProcess) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.master_key}"}


def _answers(server: LoupeProcess) -> tuple:
    qdrant = QdrantClient(url=server.url + "/qdrant", api_key=server.master_key, https=False)
    config = qdrant.get_collection("shapes").config.params.vectors
    edge = [(p.id, p.version, p.score, p.payload) for p in qdrant.query_points("shapes", query=[1, 1], using="edge").points]
    face = [(p.id, p.score, p.vector) for p in qdrant.query_points(
        "shapes", query=[0, 1], using="face", with_vectors=True,
        query_filter=models.Filter(must=[models.FieldCondition(key="kind", match=models.MatchValue(value="Square"))])).points]
    similars = httpx.get(server.url + "/v1/similars/ann/notes/n1?threshold=0", headers=_bearer(server)).json()
    projects = httpx.get(server.url + "/v1/projects/ann", headers=_bearer(server)).json()
    for project in projects["items"]:
        project.pop("created_at"), project.pop("updated_at")
    tpuf = turbopuffer.Turbopuffer(base_url=server.url + "/tpuf", api_key=server.master_key).namespace("texts")
    ann = [(r.id, r["$dist"]) for r in tpuf.query(rank_by=("vector", "ANN", [1, 1]), top_k=2).rows]
    bm25 = [(r.id, r["$dist"]) for r in tpuf.query(rank_by=("text", "BM25", "fox"), top_k=2).rows]
    return config, edge, face, similars, projects, ann, bm25


def test_dump_and_snapshot_carry_the_dialects(tmp_path):
    dumps, snapshots = tmp_path / "dumps", tmp_path / "snaps"
    source = LoupeProcess(tmp_path / "a" / "data.ms",
                          extra=["--dump-dir", str(dumps), "--snapshot-dir", str(snapshots)]).start()
    try:
        _populate(source)
        before = _answers(source)
        assert before[1] == [(1, before[1][0][1], 3.0, {"kind": "Square"}), (2, before[1][1][1], 1.0, {"kind": "circle"})]
        assert [r["id"] for r in before[3]["results"]] == ["n2", "n3"]
        assert before[5] == [(1, 1.0), (2, 1.0)] and [d for d, _s in before[6]] == [1]
        client = source.client()
        dump = client.wait_for_task(client.create_dump().task_uid)
        assert dump.status == "succeeded"
        assert client.wait_for_task(client.create_snapshot().task_uid).status == "succeeded"
    finally:
        source.stop()
    for flag, path in (("--import-dump", dumps / f"{dump.details['dumpUid']}.dump"),
                       ("--import-snapshot", snapshots / "data.ms.snapshot")):
        restored = LoupeProcess(tmp_path / flag.strip("-") / "data.ms", extra=[flag, str(path)]).start()
        try:
            assert _answers(restored) == before
        finally:
            restored.stop()
