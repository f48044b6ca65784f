"""Spread independent tasks over forked processes, the calling process included.

Why not `multiprocessing.Pool`: a pool leaves the parent idle while it waits, and ships every task to
the workers through a pipe. Here the workers are forked with the tasks already in memory, the parent
works alongside them, and chunks of tasks are handed out from a shared counter: a process that starts
late (the parent, which first runs `meanwhile` — importing the writers, say) or meets slower tasks
simply takes fewer chunks. Only results travel. A worker streams each finished chunk back; a thread
here drains the pipe so the worker never waits, and between its own chunks this process unpacks
what has arrived, so receiving is shared out like the rest of the work instead of coming after it.
Results are merged by chunk, so the outcome is exactly what one process would give.
"""

from __future__ import annotations

import contextlib
import functools
import multiprocessing
import os
import pickle
import signal
import struct
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_LENGTH = struct.Struct("<Q")


class WorkerError(RuntimeError):
    """A worker process failed; the message carries its traceback."""


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"


def send_frame(fd: int, obj: object) -> None:
    """One frame: the pickle's length, then the pickle."""
    blob = pickle.dumps(obj, protocol=5)
    _write_all(fd, _LENGTH.pack(len(blob)) + blob)


def _take(counter: Any, chunks: int) -> int | None:
    """The next chunk nobody has taken, from a counter shared by every process; None when all are."""
    with counter.get_lock():
        i = counter.value
        if i >= chunks:
            return None
        counter.value = i + 1
    return i


def _chunk(fn: Callable[[T], R], items: Sequence[T], size: int, i: int) -> list[R]:
    """The results of chunk `i` of `items`, chunks of `size`."""
    return [fn(item) for item in items[i * size : (i + 1) * size]]


def _share(out: int, counter: Any, chunks: int, compute: Callable[[int], list[Any]]) -> int:
    """A worker's part of a job: take chunks until none is left, sending each as it is done, then
    "end" (exit status 0), or "error" with the traceback (1). 1 also when the parent is gone."""
    try:
        while (i := _take(counter, chunks)) is not None:
            send_frame(out, ("chunk", i, compute(i)))
        last: tuple[str, None, str | None] = ("end", None, None)
        status = 0
    except BaseException:
        last = ("error", None, traceback.format_exc())
        status = 1
    try:
        send_frame(out, last)
    except OSError:  # the parent is gone: nobody to tell
        return 1
    return status


def _fork(child: Callable[[int], int], close: Sequence[int]) -> tuple[int, int]:
    """Fork; the child runs `child(write_fd)` and exits with its return value. (pid, read_fd) here."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child; what it sends back is what the tests check
        status = 1
        try:
            os.close(read_end)
            for fd in close:  # pipes of siblings forked earlier: keep only our own
                os.close(fd)
            status = child(write_end)
        finally:
            os._exit(status)
    os.close(write_end)
    return pid, read_end


class _Stream:
    """One worker's pipe, drained by a thread into memory; frames are taken off by the main thread."""

    def __init__(self, pid: int, fd: int) -> None:
        self.pid, self.fd = pid, fd
        self.buffer = bytearray()
        self.lock = threading.Condition()
        self.pos = 0
        self.eof = False
        self.ended = False
        self.status: int | None = None
        self.thread = threading.Thread(target=self._drain, daemon=True)
        self.thread.start()

    def _drain(self) -> None:
        try:
            while data := os.read(self.fd, 1 << 20):  # releases the GIL while it waits
                with self.lock:
                    self.buffer += data
                    self.lock.notify_all()
        except OSError:
            pass
        finally:
            with self.lock:
                self.eof = True
                self.lock.notify_all()

    def wait(self) -> list[Any] | None:
        """The frames that have arrived, waiting until there is one; None once the pipe is closed and
        nothing is left. The lock is held from the check to the wait, so no arrival goes unnoticed."""
        with self.lock:
            while not (frames := self.frames()):
                if self.eof:
                    return None
                self.lock.wait()
            return frames

    def frames(self) -> list[Any]:
        """Every complete frame that has arrived and was not taken yet."""
        out = []
        with self.lock:
            view = self.buffer
            while len(view) - self.pos >= _LENGTH.size:
                (n,) = _LENGTH.unpack_from(view, self.pos)
                start = self.pos + _LENGTH.size
                if len(view) - start < n:
                    break
                out.append(pickle.loads(view[start : start + n]))
                self.pos = start + n
            if self.pos > 1 << 22:  # drop what was consumed, now and then
                del self.buffer[: self.pos]
                self.pos = 0
        return out

    def abort(self) -> None:
        """Kill the worker and collect it. The drain thread is joined before the pipe is closed, so it
        can never read from a descriptor number that has since been reused."""
        with contextlib.suppress(OSError):
            os.kill(self.pid, signal.SIGKILL)
        self.thread.join()
        with contextlib.suppress(OSError):
            os.close(self.fd)
        with contextlib.suppress(OSError):
            os.waitpid(self.pid, 0)
        self.ended = True

    def finish(self) -> list[Any]:
        """Wait for the worker to end; the frames not taken yet."""
        self.thread.join()
        os.close(self.fd)
        _, self.status = os.waitpid(self.pid, 0)
        self.ended = True
        return self.frames()


def run_forked(
    fn: Callable[[T], R],
    items: Sequence[T],
    jobs: int,
    *,
    chunk: int = 64,
    meanwhile: Callable[[], object] | None = None,
    progress: Callable[[int, int], None] | None = None,
    pack: Callable[[R], Any] | None = None,
    unpack: Callable[[Any], R] | None = None,
) -> list[R]:
    """[fn(item) for item in items], computed by `jobs` processes (this one and jobs − 1 forks).

    `meanwhile` runs in this process once the workers are started, before it takes its share.
    `progress(done, total)` is called from this process as chunks are handed out. A worker's results
    travel as `pack(result)` and arrive as `unpack(packed)`: a way to send cheaper data than the
    results themselves (this process's own results are used as they are).
    """
    n = len(items)
    chunks = -(-n // chunk)
    counter = multiprocessing.get_context("fork").Value("q", 0)

    compute = functools.partial(_chunk, fn, items, chunk)

    def worker(fd: int) -> int:
        if pack is None:
            return _share(fd, counter, chunks, compute)
        return _share(fd, counter, chunks, lambda i: [pack(r) for r in compute(i)])

    results: dict[int, list[R]] = {}
    streams: list[_Stream] = []

    def receive(frames: list[Any], stream: _Stream) -> None:
        for kind, i, value in frames:
            if kind == "error":
                raise WorkerError(f"worker {stream.pid} failed:\n{value}")
            if kind == "chunk":
                results[i] = value if unpack is None else [unpack(p) for p in value]

    try:
        for _ in range(max(jobs - 1, 0)):
            pid, fd = _fork(worker, [s.fd for s in streams])
            streams.append(_Stream(pid, fd))
        if meanwhile is not None:
            meanwhile()
        while (i := _take(counter, chunks)) is not None:
            results[i] = compute(i)
            if progress is not None:
                progress(min(counter.value * chunk, n), n)
            for stream in streams:
                receive(stream.frames(), stream)
        for stream in streams:
            receive(stream.finish(), stream)
        missing = [i for i in range(chunks) if i not in results]
        if missing:
            stopped = next((s for s in streams if s.status != 0), streams[0] if streams else None)
            why = _describe(stopped.status) if stopped and stopped.status is not None else "no result"
            raise WorkerError(f"a worker ended before finishing its share ({why}); {len(missing)} chunks missing")
    finally:
        for stream in streams:  # after an error or an interrupt above: leave no worker behind
            if not stream.ended:
                stream.abort()
    return [r for i in range(chunks) for r in results[i]]


class Helper:
    """One worker process forked early, while this process is still small, and handed work later.

    Why not fork when the work is ready: by then this process holds the loaded dataset (400 MB at
    N = 10,000), shared copy-on-write with the fork, and every object either process touches — a
    reference count is a write — costs a page copy. On a virtual machine those copies ate the whole
    gain of computing the CEG estimates in a second process (0.4 s of system time). Forked before the
    load, the helper shares next to nothing; its work arrives as plain data through a pipe, and the
    chunks are shared out as in `run_forked`, this process taking its part once `meanwhile` is done.

    The helper ends when `close` is called, or when this process dies (its job pipe then reads EOF).
    """

    def __init__(self) -> None:
        self._counter = multiprocessing.get_context("fork").Value("q", 0)
        jobs_read, self._jobs = os.pipe()
        counter = self._counter

        def child(out: int) -> int:
            return _serve(jobs_read, out, counter)

        pid, results = _fork(child, [self._jobs])
        os.close(jobs_read)
        self._stream = _Stream(pid, results)
        self.pid = pid

    def map(
        self,
        fn: Callable[[T], R],
        items: Sequence[T],
        *,
        chunk: int = 64,
        meanwhile: Callable[[], object] | None = None,
    ) -> list[R]:
        """[fn(item) for item in items], computed by the helper and this process. `fn` and `items`
        travel by pickle: a module-level function (or a partial of one) and plain data."""
        chunks = -(-len(items) // chunk)
        with self._counter.get_lock():
            self._counter.value = 0
        try:
            send_frame(self._jobs, (fn, list(items), chunk))
        except OSError as exc:
            raise WorkerError(f"the helper process {self.pid} is gone ({exc.strerror})") from None

        results: dict[int, list[R]] = {}
        ended = False

        def receive(frames: list[Any]) -> None:
            nonlocal ended
            for kind, i, value in frames:
                if kind == "error":
                    raise WorkerError(f"helper {self.pid} failed:\n{value}")
                if kind == "chunk":
                    results[i] = value
                elif kind == "end":
                    ended = True

        if meanwhile is not None:
            meanwhile()
        while (i := _take(self._counter, chunks)) is not None:
            results[i] = _chunk(fn, items, chunk, i)
            receive(self._stream.frames())
        while not ended:
            frames = self._stream.wait()
            if frames is None:
                self._stream.finish()
                why = _describe(self._stream.status or 0)
                raise WorkerError(f"the helper process ended before finishing its share ({why})")
            receive(frames)
        return [r for i in range(chunks) for r in results[i]]

    def close(self) -> None:
        """Stop the helper and collect it; harmless to call twice. Closing the job pipe ends a helper
        that is waiting; one still busy with a job (after an error here) is killed."""
        if self._stream.ended:
            return
        with contextlib.suppress(OSError):
            os.close(self._jobs)
        self._stream.abort()

    def __enter__(self) -> Helper:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _serve(jobs: int, out: int, counter: Any) -> int:  # pragma: no cover - runs in the helper
    """The helper's loop: read a job, take chunks from the shared counter, send each one back. Ends
    when the job pipe closes: `Helper.close`, or the death of the process that forked it."""
    reader = os.fdopen(jobs, "rb")
    while len(header := reader.read(_LENGTH.size)) == _LENGTH.size:
        (n,) = _LENGTH.unpack(header)
        fn, items, chunk = pickle.loads(reader.read(n))
        chunks = -(-len(items) // chunk)
        if _share(out, counter, chunks, functools.partial(_chunk, fn, items, chunk)):
            return 1
    return 0


class Producer:
    """A process forked now that runs `child(fd)` and sends frames (`send_frame`) through `fd`, which
    this process takes as they arrive (`frames`). A frame ("error", text) from the child, or its pipe
    closing early, raises WorkerError. On the way out of `with` the child is collected: waited for
    once its "end" frame has arrived, killed otherwise. It dies with this process too (its next frame
    meets a closed pipe)."""

    def __init__(self, child: Callable[[int], int]) -> None:
        pid, fd = _fork(child, [])
        self._stream = _Stream(pid, fd)
        self._done = False
        self.pid = pid

    def frames(self) -> Iterator[Any]:
        """Every frame, in order, as it arrives, until the pipe closes."""
        while (frames := self._stream.wait()) is not None:
            for frame in frames:
                if frame[0] == "error":
                    raise WorkerError(f"process {self.pid} failed:\n{frame[1]}")
                if frame[0] == "end":
                    self._done = True
                yield frame
                if self._done:
                    return
        self._stream.finish()
        raise WorkerError(f"process {self.pid} ended early ({_describe(self._stream.status or 0)})")

    def close(self) -> None:
        if self._stream.ended:
            return
        if self._done:
            self._stream.finish()
        else:
            self._stream.abort()

    def __enter__(self) -> Producer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
