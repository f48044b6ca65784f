"""The forked worker pool: the same results as one process, in the same order, and no silent failure."""

from __future__ import annotations

import os
import signal
import time

import pytest
from ptedb.loaders.workers import WorkerError, run_forked

PARENT = os.getpid()


def _square(x: int) -> tuple[int, int]:
    return x * x, os.getpid()


def _slow_square(x: int) -> tuple[int, int]:
    time.sleep(0.001)
    return _square(x)


def _no_children_left() -> bool:
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


@pytest.mark.parametrize(("n", "jobs", "chunk"), [(0, 2, 4), (1, 2, 4), (100, 1, 7), (100, 2, 7), (1000, 3, 16)])
def test_same_results_in_order(n: int, jobs: int, chunk: int) -> None:
    out = run_forked(_square, list(range(n)), jobs, chunk=chunk)
    assert [v for v, _ in out] == [x * x for x in range(n)]
    assert _no_children_left()


def test_parent_works_too_and_runs_meanwhile_once() -> None:
    calls = []

    def meanwhile() -> None:
        calls.append(os.getpid())
        time.sleep(0.05)  # the worker gets a head start, and takes chunks meanwhile

    out = run_forked(_slow_square, list(range(400)), 2, chunk=8, meanwhile=meanwhile)
    pids = {pid for _, pid in out}
    assert calls == [os.getpid()]
    assert os.getpid() in pids and len(pids) == 2


def _fails_in_worker(x: int) -> int:
    if os.getpid() != PARENT:
        raise ValueError(f"boom at {x}")
    time.sleep(0.001)
    return x


def _killed_in_worker(x: int) -> int:
    if os.getpid() != PARENT:
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(0.001)
    return x


def test_an_exception_in_a_worker_is_raised_with_its_traceback() -> None:
    with pytest.raises(WorkerError, match=r"(?s)failed:.*ValueError: boom at"):
        run_forked(_fails_in_worker, list(range(500)), 2, chunk=4, meanwhile=lambda: time.sleep(0.05))
    assert _no_children_left()


def test_a_killed_worker_is_reported_not_ignored() -> None:
    with pytest.raises(WorkerError, match="killed by signal 9"):
        run_forked(_killed_in_worker, list(range(500)), 2, chunk=4, meanwhile=lambda: time.sleep(0.05))
    assert _no_children_left()
