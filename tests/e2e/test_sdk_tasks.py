"""Tasks and batches through the official client.

Properties:
1. task uids are sequential; GET /tasks is newest first with `from`/`next`/`total`, `reverse`;
2. every filter (uids, statuses, types, indexUids, batchUids, dates) narrows the list;
3. bad filter values get Meilisearch's messages and codes;
4. cancel and delete answer 200 with the summarized task; `originalFilter` keeps the raw query;
5. batches list and get; an unknown task/batch is a 404.
"""
import datetime

import pytest
import requests
from meilisearch.errors import MeilisearchApiError


def _tasks(client, n, uid="tasks-idx"):
    index = client.index(uid)
    return [index.add_documents([{"id": i}]) for i in range(n)]


def test_listing_and_pagination(client):
    created = _tasks(client, 5)
    client.wait_for_task(created[-1].task_uid)
    uids = [t.task_uid for t in created]
    assert uids == list(range(uids[0], uids[0] + 5))
    page = client.get_tasks({"indexUids": ["tasks-idx"], "limit": 2})
    assert [t.uid for t in page.results] == uids[::-1][:2]
    assert page.total == 5 and page.from_ == uids[-1] and page.next_ == uids[2]
    page = client.get_tasks({"indexUids": ["tasks-idx"], "limit": 2, "from": page.next_})
    assert [t.uid for t in page.results] == [uids[2], uids[1]]
    page = client.get_tasks({"indexUids": ["tasks-idx"], "reverse": "true", "limit": 10})
    assert [t.uid for t in page.results] == uids and page.next_ is None


def test_filters(client, loupe_server):
    created = _tasks(client, 3, "filters-idx")
    client.wait_for_task(created[-1].task_uid)
    assert client.get_tasks({"uids": [str(created[1].task_uid)]}).results[0].uid == created[1].task_uid
    assert client.get_tasks({"indexUids": ["filters-idx"], "statuses": ["failed"]}).total == 0
    assert client.get_tasks({"indexUids": ["filters-idx"], "types": ["documentAdditionOrUpdate"]}).total == 3
    assert client.get_tasks({"indexUids": ["filters-idx"], "types": ["indexCreation"]}).total == 0
    future = (datetime.datetime.utcnow() + datetime.timedelta(days=1)).strftime("%Y-%m-%d")
    assert client.get_tasks({"indexUids": ["filters-idx"], "beforeEnqueuedAt": future}).total == 3
    assert client.get_tasks({"indexUids": ["filters-idx"], "afterEnqueuedAt": future}).total == 0
    raw = requests.get(f"{loupe_server.url}/tasks/{created[0].task_uid}",
                       headers={"Authorization": f"Bearer {loupe_server.master_key}"}).json()
    assert list(raw) == ["uid", "batchUid", "indexUid", "status", "type", "canceledBy", "details", "error",
                         "duration", "enqueuedAt", "startedAt", "finishedAt"]
    by_batch = client.get_tasks({"batchUids": [str(raw["batchUid"])]})
    assert created[0].task_uid in [t.uid for t in by_batch.results]


@pytest.mark.parametrize("params,code,message", [
    ({"statuses": "doggo"}, "invalid_task_statuses",
     "Invalid value in parameter `statuses`: `doggo` is not a valid task status. Available statuses are "
     "`enqueued`, `processing`, `succeeded`, `failed`, `canceled`."),
    ({"uids": "1,dogo"}, "invalid_task_uids",
     "Invalid value in parameter `uids[1]`: could not parse `dogo` as a positive integer"),
    ({"limit": "-1"}, "invalid_task_limit", "Invalid value in parameter `limit`: could not parse `-1` as a positive integer"),
    ({"reverse": "True"}, "invalid_task_reverse",
     "Invalid value in parameter `reverse`: could not parse `True` as a boolean, expected either `true` or `false`"),
    ({"afterEnqueuedAt": "doggo"}, "invalid_task_after_enqueued_at",
     "Invalid value in parameter `afterEnqueuedAt`: `doggo` is an invalid date-time. It should follow the "
     "YYYY-MM-DD or RFC 3339 date-time format."),
    ({"doggo": "1"}, "bad_request", None),
])
def test_filter_errors(loupe_server, params, code, message):
    r = requests.get(f"{loupe_server.url}/tasks", params=params,
                     headers={"Authorization": f"Bearer {loupe_server.master_key}"})
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == code and body["type"] == "invalid_request"
    assert body["link"] == f"https://docs.meilisearch.com/errors#{code}"
    if message:
        assert body["message"] == message


def test_cancel_and_delete(client, loupe_server):
    created = _tasks(client, 2, "cancel-idx")
    client.wait_for_task(created[-1].task_uid)
    cancel = client.cancel_tasks({"uids": [str(created[0].task_uid), str(created[1].task_uid)]})
    assert cancel.type == "taskCancelation" and cancel.index_uid is None
    done = client.wait_for_task(cancel.task_uid)
    assert done.details["originalFilter"] == f"?uids={created[0].task_uid}%2C{created[1].task_uid}"
    assert done.details["matchedTasks"] == 2 and done.details["canceledTasks"] == 0
    deletion = client.delete_tasks({"uids": [str(created[0].task_uid)]})
    done = client.wait_for_task(deletion.task_uid)
    assert done.details == {"matchedTasks": 1, "deletedTasks": 1, "originalFilter": f"?uids={created[0].task_uid}"}
    with pytest.raises(MeilisearchApiError) as err:
        client.get_task(created[0].task_uid)
    assert err.value.code == "task_not_found" and err.value.status_code == 404
    r = requests.post(f"{loupe_server.url}/tasks/cancel", headers={"Authorization": f"Bearer {loupe_server.master_key}"})
    assert r.status_code == 400 and r.json()["code"] == "missing_task_filters"


def test_cancel_enqueued_task(client):
    index = client.index("cancel-enqueued")
    big = [{"id": i, "text": "word " * 50} for i in range(20000)]
    first = index.add_documents(big)
    second = index.add_documents([{"id": "x"}], primary_key="id")
    cancel = client.cancel_tasks({"uids": [str(second.task_uid)]})
    client.wait_for_task(cancel.task_uid, timeout_in_ms=60000)
    task = client.wait_for_task(second.task_uid, timeout_in_ms=60000)
    assert task.status == "canceled" and task.canceled_by == cancel.task_uid
    assert client.wait_for_task(first.task_uid, timeout_in_ms=60000).status == "succeeded"


def test_batches(client):
    created = _tasks(client, 1, "batch-idx")
    client.wait_for_task(created[-1].task_uid)
    batches = client.get_batches()
    assert batches.results and batches.from_ is not None
    batch = client.get_batch(batches.results[0].uid)
    assert batch.stats["totalNbTasks"] >= 1
    with pytest.raises(MeilisearchApiError) as err:
        client.get_batch(10**9)
    assert err.value.code == "batch_not_found"
