"""Dump, dump import, snapshot and snapshot restore times on a real dataset.

    python bench/dump_restore.py [--file ../shared/datasets/debian-packages/packages.ndjson]

Loads the file into a fresh store with the Engine (one ``documentAdditionOrUpdate`` task), then
runs each phase in its own child process so that its peak RSS is its own: `create_dump`,
`import_dump`, `create_snapshot`, `import_snapshot`.  Prints wall time, output size and peak RSS
per phase.  `import_dump` goes through the engine's own write path (`IndexWriter` with its word
and facet indexers), so it costs about as much as the initial load; no extra `indexers_for`.
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
# Running a script puts its folder first on sys.path, and bench/tokenize.py would then shadow the
# standard library's tokenize (used by inspect, hence numpy.ma, and by traceback).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(REPO))
DATASET = REPO.parent / "shared" / "datasets" / "debian-packages" / "packages.ndjson"


def phase(name: str, work: Path) -> dict:
    """One measured step, run in this (child) process."""
    from engine.backup.dumps import create_dump, import_dump
    from engine.backup.snapshots import create_snapshot, import_snapshot
    from engine.store import Store
    from engine.tasks.timefmt import now_ns

    start = time.perf_counter()
    if name == "dump":
        store = Store(work / "data.ms")
        uid = create_dump(store, work / "dumps", now_ns(), {"uid": -1})
        store.close()
        out = work / "dumps" / f"{uid}.dump"
    elif name == "import_dump":
        out = work / "from-dump.ms"
        import_dump(next((work / "dumps").glob("*.dump")), out)
    elif name == "snapshot":
        store = Store(work / "data.ms")
        out = create_snapshot(store, work / "snapshots", "data.ms")
        store.close()
    elif name == "import_snapshot":
        out = work / "from-snapshot.ms"
        import_snapshot(work / "snapshots" / "data.ms.snapshot", out)
    else:
        raise SystemExit(f"unknown phase {name}")
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "bytes": _size(out),
            "peak_rss_mib": _peak_rss_mib()}


def _peak_rss_mib() -> float:
    """VmHWM of this process.  Not ru_maxrss: Linux carries it over exec from the parent."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def load(file: Path, work: Path) -> tuple[int, float]:
    from engine.engine import Engine

    payload = file.read_bytes()
    count = payload.count(b"\n")
    engine = Engine(work / "data.ms", worker="thread")
    start = time.perf_counter()
    task = engine.add_payload("packages", payload, "ndjson", count, primary_key="id")
    done = engine.wait_for_task(task["uid"], timeout=3600)
    seconds = time.perf_counter() - start
    assert done["status"] == "succeeded", done
    engine.close()
    return count, seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--file", type=Path, default=DATASET)
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(phase(args.phase, args.work)))
        return
    work = Path(tempfile.mkdtemp(prefix="loupe-dump-bench-"))
    try:
        count, seconds = load(args.file, work)
        store_bytes = _size(work / "data.ms")
        print(f"file: {args.file} ({args.file.stat().st_size / 2**20:.1f} MiB, {count} documents)")
        print(f"load (Engine, one task): {seconds:.2f} s; store {store_bytes / 2**20:.1f} MiB")
        for name in ("dump", "import_dump", "snapshot", "import_snapshot"):
            result = subprocess.run([sys.executable, __file__, "--phase", name, "--work", str(work)],
                                    check=True, capture_output=True, text=True)
            r = json.loads(result.stdout.strip().splitlines()[-1])
            print(f"{name:16s} {r['seconds']:7.2f} s   {r['bytes'] / 2**20:8.1f} MiB   "
                  f"peak RSS {r['peak_rss_mib']:6.0f} MiB   {count / r['seconds']:9.0f} docs/s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
