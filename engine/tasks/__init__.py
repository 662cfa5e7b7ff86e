"""The task queue: every write is a task, applied by one worker in batches (tasks.md).

``timefmt`` writes and reads task dates and durations; ``webhooks`` are told about finished tasks.
"""
