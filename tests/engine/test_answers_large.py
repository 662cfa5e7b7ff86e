"""Opt-in (LOUPE_LARGE_TESTS=1): every workload query of ../shared/datasets on the full Debian corpus
answers exactly what the code before the typed search core answered.

Property: `bench/answers.py --check` (hits with every field, order, `_rankingScore`,
`_rankingScoreDetails`, totals and facets of 2,484 queries, as one sha256) prints the digest
recorded in bench/answers.sha256.  A change that alters any answer on purpose records the new
digest in the same commit and says why.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.large
@pytest.mark.skipif(os.environ.get("LOUPE_LARGE_TESTS") != "1", reason="opt-in large test")
def test_workload_answers_are_unchanged():
    done = subprocess.run([sys.executable, str(REPO / "bench" / "answers.py"), "--check"], capture_output=True,
                          text=True, timeout=1800)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "digest matches bench/answers.sha256" in done.stdout
