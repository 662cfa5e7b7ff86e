"""Nothing acknowledged is lost: restarts and kill -9.

Properties:
1. after a clean restart every index, document, setting and task is still there;
2. kill -9 while a large batch indexes, then restart: every task is either succeeded with all its
   documents, or was still enqueued/processing and is then processed — never half applied;
3. every task acknowledged (202) before the kill exists after the restart.
"""
import time


def test_restart_keeps_everything(fresh_server):
    server = fresh_server()
    c = server.client()
    c.wait_for_task(c.index("keep").add_documents([{"id": i, "t": f"doc {i}"} for i in range(100)]).task_uid)
    c.wait_for_task(c.index("keep").update_settings({"searchableAttributes": ["t"]}).task_uid)
    tasks_before = c.get_tasks({"limit": 100}).total
    server.stop()
    server.start()
    c = server.client()
    assert c.index("keep").get_stats().number_of_documents == 100
    assert dict(c.index("keep").get_document(42)) == {"id": 42, "t": "doc 42"}
    assert c.index("keep").get_searchable_attributes() == ["t"]
    assert c.get_tasks({"limit": 100}).total == tasks_before


def test_kill_minus_nine_while_indexing(fresh_server):
    server = fresh_server()
    c = server.client()
    index = c.index("crash")
    acknowledged = []
    for batch in range(6):
        docs = [{"id": batch * 10000 + i, "text": "lorem ipsum dolor " * 20} for i in range(10000)]
        acknowledged.append((index.add_documents(docs).task_uid, len(docs)))
    time.sleep(0.8)  # the worker is in the middle of the batches
    server.kill()
    server.start()
    c = server.client()
    for uid, _count in acknowledged:
        task = c.get_task(uid)
        assert task.status in ("enqueued", "processing", "succeeded")
    for uid, _count in acknowledged:
        assert c.wait_for_task(uid, timeout_in_ms=120000).status == "succeeded"
    assert c.index("crash").get_stats().number_of_documents == 60000
    page = c.index("crash").get_documents({"offset": 59999, "limit": 1})
    assert page.results[0].id == 59999
