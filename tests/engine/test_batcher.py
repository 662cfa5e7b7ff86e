"""Autobatching (tasks.md §7).

Properties:
1. priority tasks run before index tasks: the newest cancelation alone, then all deletions;
2. consecutive imports and deletions by id of one index form one batch; other indexes wait;
3. settings batch with settings only; an indexDeletion joins the batch before it and ends it;
4. an import that changes the primary key starts a new batch.
"""
from engine.tasks.batcher import select_batch


def task(uid, type_, index="a", **op):
    return {"uid": uid, "type": type_, "indexUid": index, "op": op}


def uids(batch):
    return [t["uid"] for t in batch[0]]


def test_priorities():
    queue = [task(0, "documentAdditionOrUpdate"), task(1, "taskDeletion", None), task(2, "taskCancelation", None),
             task(3, "taskCancelation", None), task(4, "taskDeletion", None)]
    assert uids(select_batch(queue)) == [3]
    assert uids(select_batch([t for t in queue if t["type"] != "taskCancelation"])) == [1, 4]


def test_imports_and_deletions_batch_per_index():
    queue = [task(0, "documentAdditionOrUpdate"), task(1, "documentAdditionOrUpdate", "b"),
             task(2, "documentDeletion", kind="ids"), task(3, "documentAdditionOrUpdate"),
             task(4, "settingsUpdate"), task(5, "documentAdditionOrUpdate")]
    assert uids(select_batch(queue)) == [0, 2, 3]


def test_settings_and_index_deletion():
    queue = [task(0, "settingsUpdate"), task(1, "settingsUpdate"), task(2, "documentAdditionOrUpdate")]
    assert uids(select_batch(queue)) == [0, 1]
    queue = [task(0, "documentAdditionOrUpdate"), task(1, "indexDeletion"), task(2, "documentAdditionOrUpdate")]
    batch, reason = select_batch(queue)
    assert [t["uid"] for t in batch] == [0, 1] and "deletes the index" in reason
    assert uids(select_batch([task(0, "indexCreation"), task(1, "documentAdditionOrUpdate")])) == [0]


def test_primary_key_change_splits():
    queue = [task(0, "documentAdditionOrUpdate", primaryKey="id"), task(1, "documentAdditionOrUpdate", primaryKey="id"),
             task(2, "documentAdditionOrUpdate", primaryKey="key")]
    assert uids(select_batch(queue)) == [0, 1]


def test_index_creation_rights_split_while_the_index_is_missing():
    """A task that may create the missing index never joins a batch begun by one that may not
    (or by a deletion, which never creates one): it would fail `index_not_found` with it."""
    no, yes = {"allowIndexCreation": False}, {"allowIndexCreation": True}
    queue = [task(0, "documentAdditionOrUpdate", **no), task(1, "documentAdditionOrUpdate", **no),
             task(2, "documentAdditionOrUpdate", **yes), task(3, "documentAdditionOrUpdate", **no)]
    batch, reason = select_batch(queue)
    assert [t["uid"] for t in batch] == [0, 1] and reason == (
        "stopped batching before task with id 2 because its index creation rules differ from the ones from the batch")
    assert uids(select_batch(queue[2:])) == [2, 3]  # the first may create: the index exists for the others
    assert uids(select_batch(queue, index_exists=lambda uid: True)) == [0, 1, 2, 3]
    queue = [task(0, "documentDeletion", kind="ids"), task(1, "documentAdditionOrUpdate", **yes)]
    assert uids(select_batch(queue)) == [0]
    assert uids(select_batch(queue, index_exists=lambda uid: uid == "a")) == [0, 1]
    queue = [task(0, "settingsUpdate", reset=True, **yes), task(1, "settingsUpdate", **yes)]
    assert uids(select_batch(queue)) == [0]
