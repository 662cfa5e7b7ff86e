"""Backups of a whole instance: dumps (``dumps``, re-indexed on import) and snapshots (``snapshots``, byte copies)."""
