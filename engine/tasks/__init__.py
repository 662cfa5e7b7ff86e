"""The task queue: every write is a task, applied by one worker in batches (tasks.md)."""
