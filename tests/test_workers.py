"""The forked worker pool: the same results as one process, in the same order, and no silent failure."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from ptedb.loaders.workers import Helper, Producer, WorkerError, run_forked, send_frame

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


# --- the helper: forked early, handed work later ---------------------------------------------------


def test_helper_gives_the_same_results_in_order_job_after_job() -> None:
    with Helper() as helper:
        for n in (0, 1, 100, 1000):
            out = helper.map(_square, list(range(n)), chunk=7)
            assert [v for v, _ in out] == [x * x for x in range(n)]
    assert _no_children_left()


def test_helper_and_this_process_share_the_chunks() -> None:
    calls = []

    def meanwhile() -> None:
        calls.append(os.getpid())
        time.sleep(0.05)  # the helper starts meanwhile

    with Helper() as helper:
        out = helper.map(_slow_square, list(range(400)), chunk=8, meanwhile=meanwhile)
        assert calls == [os.getpid()]
        pids = {pid for _, pid in out}
        assert pids == {os.getpid(), helper.pid}


def test_helper_was_forked_before_the_data_existed() -> None:
    """Its work travels by pipe: data made after the fork reaches it all the same."""
    with Helper() as helper:
        made_later = list(range(300))
        out = helper.map(_slow_square, made_later, chunk=4, meanwhile=lambda: time.sleep(0.05))
        assert [v for v, _ in out] == [x * x for x in made_later]
        assert helper.pid in {pid for _, pid in out}


def test_an_exception_in_the_helper_is_raised_with_its_traceback() -> None:
    with pytest.raises(WorkerError, match=r"(?s)helper \d+ failed:.*ValueError: boom at"), Helper() as helper:
        helper.map(_fails_in_worker, list(range(500)), chunk=4, meanwhile=lambda: time.sleep(0.05))
    assert _no_children_left()


def test_a_killed_helper_is_reported_not_ignored() -> None:
    with pytest.raises(WorkerError, match="killed by signal 9"), Helper() as helper:
        helper.map(_killed_in_worker, list(range(500)), chunk=4, meanwhile=lambda: time.sleep(0.05))
    assert _no_children_left()


def test_the_helper_ends_when_this_process_dies() -> None:
    """A build killed with SIGKILL leaves no helper behind: its job pipe reads EOF and it exits."""
    script = (
        "import os, sys, time\n"
        "from ptedb.loaders.workers import Helper\n"
        "h = Helper()\n"
        "print(h.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    helper_pid = int(proc.stdout.readline())
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(helper_pid, 0)
        except ProcessLookupError:
            break
        # an exited helper whose parent died is reaped by init; until then it may linger as a zombie
        try:
            with open(f"/proc/{helper_pid}/stat") as fh:
                if fh.read().split(") ")[1].startswith("Z"):
                    break
        except FileNotFoundError:
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"helper {helper_pid} still running after its parent was killed")


# --- the producer of a --jobs build --------------------------------------------------------------


def _counting_child(fd: int) -> int:
    for i in range(500):
        send_frame(fd, ("n", i, "x" * (i % 7000)))
    send_frame(fd, ("end",))
    return 0


def test_producer_frames_arrive_in_order_and_end() -> None:
    with Producer(_counting_child) as producer:
        frames = list(producer.frames())
    assert producer._stream.status == 0  # after its "end" frame, waited for, not killed
    assert frames[-1] == ("end",)
    assert [f[1] for f in frames[:-1]] == list(range(500))
    assert all(f[2] == "x" * (f[1] % 7000) for f in frames[:-1])
    assert _no_children_left()


def test_producer_error_frame_is_raised_with_its_text() -> None:
    def child(fd: int) -> int:
        send_frame(fd, ("n", 1))
        send_frame(fd, ("error", "Traceback ...\nValueError: boom in the producer"))
        return 1

    got = []
    with pytest.raises(WorkerError, match=r"(?s)process \d+ failed:.*boom in the producer"), Producer(child) as p:
        got.extend(p.frames())
    assert got == [("n", 1)]
    assert _no_children_left()


@pytest.mark.parametrize("how", ["exit", "kill"])
def test_producer_that_stops_early_is_reported_not_ignored(how: str) -> None:
    def child(fd: int) -> int:
        send_frame(fd, ("n", 1))
        if how == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        return 3  # ends without its "end" frame

    expected = "killed by signal 9" if how == "kill" else "exit status 3"
    with pytest.raises(WorkerError, match=rf"ended early \({expected}\)"), Producer(child) as producer:
        list(producer.frames())
    assert _no_children_left()


def test_leaving_a_producer_early_kills_and_collects_it() -> None:
    def child(fd: int) -> int:
        send_frame(fd, ("n", 1))
        time.sleep(60)
        return 0

    with Producer(child) as producer:
        assert next(iter(producer.frames())) == ("n", 1)
    assert _no_children_left()
