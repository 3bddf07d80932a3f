"""One long-lived child process per app server for the permutation inference of hot spots (esda, numba).

esda's conditional permutations are numba code compiled on their first call in a process (≈ 15 s on two
cores; one of its functions can never come from numba's disk cache, see :mod:`geo.analysis.jit`), and numba,
llvmlite and esda take well over 100 MB once loaded. An app server that must stay small (≤ 600 MB at a
million reports) therefore never imports them: :class:`PermutationWorker` starts one child process (a fresh
interpreter, so that nothing of the server's memory is copied into it), which warms the compiled code up as soon as it
starts and then computes, one request at a time, the permutation Gi* of a grid (:meth:`~PermutationWorker.gi_star`)
and the per-step Gi* of an emerging hot spot analysis (:meth:`~PermutationWorker.step_gi_star`). Only small
things cross the pipe: counts per cell, the cells' neighbours, the seed; z-scores and p-values come back. The
child computes with the very functions the command line runs in its own process
(:func:`geo.analysis.hotspots.neighbours_gi_star`, :func:`geo.analysis.emerging.neighbours_step_gi_star`),
so that the same seed gives the same result in both.

Several sessions share the one worker (requests are served in turn). A worker that dies (killed, out of
memory) makes the request in progress raise :class:`WorkerError` with a French message, and the next request
starts a new one. A worker that hangs (no answer within ``timeout_s``) is killed, with the same message; a request
that waits that long for its turn gives up with a French message and leaves the worker alone. The worker ends
with the server: it is stopped when the server exits normally (``atexit``), and it watches its parent, so that
it also exits when the server is killed.

This module imports neither streamlit nor esda nor numba.
"""

from __future__ import annotations

import atexit
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geo.errors import VeilleError

if TYPE_CHECKING:
    import numpy as np

    from geo.analysis.hotspots import GiStar

__all__ = ["WorkerError", "PermutationWorker", "shared_worker"]


class WorkerError(VeilleError):
    """The permutation worker stopped before answering (it is started again on the next request)."""


# --------------------------------------------------------------------------------------------- child side


def _watch_parent(fd: int) -> None:
    """Exit this process as soon as its parent is gone (the server was killed): no orphan worker.

    ``fd`` is the read end of a pipe whose write end only the parent holds: reading it returns when the
    parent process ends, however it ends.
    """
    try:
        while os.read(fd, 1):
            pass
    finally:
        os._exit(0)


def _serve(conn: Connection) -> None:
    """Child's main loop: answer ``(name, kwargs)`` requests until the pipe closes."""
    from geo.analysis import jit  # noqa: PLC0415 - the child's own imports: esda and numba live here only
    from geo.analysis.emerging import neighbours_step_gi_star  # noqa: PLC0415
    from geo.analysis.hotspots import neighbours_gi_star  # noqa: PLC0415

    handlers = {"warm_up": jit.warm_up, "gi_star": neighbours_gi_star, "step_gi_star": neighbours_step_gi_star,
                "pid": os.getpid,
                "modules": lambda: sorted(k for k in ("numba", "esda", "libpysal") if k in sys.modules)}
    while True:
        try:
            name, kwargs = conn.recv()
        except (EOFError, OSError):  # the server closed the pipe or is gone
            return
        try:
            answer: tuple[str, Any] = ("ok", handlers[name](**kwargs))
        except Exception as exc:  # sent back and raised in the server, as an in-process call would
            answer = ("error", exc)
        try:
            conn.send(answer)
        except Exception as exc:  # an exception that does not pickle: send its text
            conn.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the worker process: ``python -m geo.analysis.permutation_worker SOCKET_FD PARENT_FD``."""
    sock_fd, parent_fd = (int(x) for x in (sys.argv[1:] if argv is None else argv))
    threading.Thread(target=_watch_parent, args=(parent_fd,), name="watch-parent", daemon=True).start()
    _serve(Connection(sock_fd))


# -------------------------------------------------------------------------------------------- server side


def _spawn() -> tuple[subprocess.Popen, Connection]:
    """Start the worker process; return it and the server's end of its connection.

    A fresh interpreter (``python -m``), not :mod:`multiprocessing`'s ``spawn``, which would run the
    server's main script again in the child.
    """
    ours, theirs = socket.socketpair()
    watch_read, watch_write = os.pipe()  # the write end stays in this process only (not inheritable)
    root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "geo.analysis.permutation_worker", str(theirs.fileno()), str(watch_read)],
            pass_fds=(theirs.fileno(), watch_read), env=env, stdin=subprocess.DEVNULL, close_fds=True)
    except BaseException:
        ours.close()
        os.close(watch_write)
        raise
    finally:
        theirs.close()  # the child holds its end: a dead child gives EOF on ours
        os.close(watch_read)
    _WATCH_FDS[process.pid] = watch_write
    return process, Connection(ours.detach())


_WATCH_FDS: dict[int, int] = {}


DEFAULT_TIMEOUT_S = 180.0
"""Seconds a request may take once sent (and may wait for its turn) before the worker is taken as hung."""
WARM_UP_TIMEOUT_S = 900.0
"""Seconds the warm-up (numba compilation, 15 s on two idle cores, minutes on a busy machine) may take."""


class PermutationWorker:
    """A child process computing permutation Gi*, started lazily, restarted after it died or hung.

    Every method is safe to call from several threads (Streamlit runs each session's script in its own).

    Parameters
    ----------
    timeout_s
        Seconds a request may wait for its answer once sent; past them the worker is killed (and started again
        by the next request) and the request raises :class:`WorkerError`. A request also gives up after waiting
        that long for another one to finish.
    """

    def __init__(self, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        if not timeout_s > 0:
            raise ValueError(f"timeout_s must be a positive number of seconds; got {timeout_s!r}")
        self.timeout_s = float(timeout_s)
        self._lock = threading.Lock()  # one request in the pipe at a time
        self._state = threading.Lock()  # guards _process/_conn/_warm/_generation
        self._process: subprocess.Popen | None = None
        self._conn: Connection | None = None
        self._warm = threading.Event()
        self._generation = 0
        self.restarts = 0
        """How many times a dead worker was replaced."""

    # -- life cycle

    def start(self) -> bool:
        """Start the worker and its warm-up if it is not running; return whether this call started it."""
        with self._state:
            if self._process is not None and self._process.poll() is None:
                return False
            if self._process is not None:
                self.restarts += 1
            self._close_locked()
            process, parent_end = _spawn()
            self._process, self._conn = process, parent_end
            self._warm.clear()
            self._generation += 1
            generation = self._generation
        threading.Thread(target=self._warm_up, args=(generation,), name="veille-permutations-warm-up",
                         daemon=True).start()
        return True

    def _warm_up(self, generation: int) -> None:
        try:
            self._call("warm_up", {}, start=False, timeout_s=WARM_UP_TIMEOUT_S)
        except Exception:
            return  # the next request restarts the worker and says so
        with self._state:
            if generation == self._generation:
                self._warm.set()

    def is_warm(self) -> bool:
        """Tell whether the worker runs and has its compiled code ready (a request is then answered quickly)."""
        with self._state:
            alive = self._process is not None and self._process.poll() is None
        return alive and self._warm.is_set()

    def is_alive(self) -> bool:
        """Tell whether the worker process runs."""
        process = self._process
        return process is not None and process.poll() is None

    def is_started(self) -> bool:
        """Tell whether a worker process was started (it may have died since)."""
        return self._process is not None

    def pid(self) -> int | None:
        """Return the worker's process id, or ``None`` before it was started."""
        process = self._process
        return None if process is None else process.pid

    def wait_warm(self, timeout: float | None = None) -> bool:
        """Start the worker if needed and wait until it is warm; return whether it is."""
        self.start()
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._warm.wait(0.2):
            if not self.is_alive() or (deadline is not None and time.monotonic() > deadline):
                break
        return self.is_warm()

    def shutdown(self) -> None:
        """Stop the worker (its current computation is abandoned)."""
        with self._state:
            self._close_locked()
            self._warm.clear()

    def _close_locked(self) -> None:
        process, conn = self._process, self._conn
        self._process = self._conn = None
        if conn is not None:
            conn.close()
        if process is not None:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(5)
                except subprocess.TimeoutExpired:  # pragma: no cover - ignored SIGTERM
                    process.kill()
                    process.wait(5)
            watch = _WATCH_FDS.pop(process.pid, None)
            if watch is not None:
                os.close(watch)

    # -- requests

    def _call(self, name: str, kwargs: Mapping[str, Any], *, start: bool = True,
              timeout_s: float | None = None) -> Any:
        timeout = self.timeout_s if timeout_s is None else timeout_s
        if start:
            self.start()
        # a request queued behind the warm-up waits for the compilation too
        wait = self.timeout_s + (0.0 if self._warm.is_set() else WARM_UP_TIMEOUT_S)
        if not self._lock.acquire(timeout=wait):
            raise WorkerError(f"le processus de calcul des permutations est occupé depuis plus de {wait:g} s "
                              "par une autre demande ; réessayez dans un instant")
        try:
            with self._state:
                conn, process = self._conn, self._process
            if conn is None or process is None or process.poll() is not None:
                self._mark_dead(process)
                raise WorkerError("le processus de calcul des permutations s'est arrêté ; il redémarre")
            try:
                conn.send((name, dict(kwargs)))
                if not conn.poll(timeout):
                    process.kill()  # hung (stopped, deadlocked, swapping): SIGTERM might never be handled
                    self._mark_dead(process)
                    raise WorkerError(f"le processus de calcul des permutations n'a pas répondu en {timeout:g} s ; "
                                      "il est arrêté et redémarre")
                status, value = conn.recv()
            except (EOFError, OSError) as exc:
                self._mark_dead(process)
                raise WorkerError("le processus de calcul des permutations s'est arrêté en cours de calcul ; "
                                  "il redémarre") from exc
        finally:
            self._lock.release()
        if status == "error":
            raise value
        return value

    def _mark_dead(self, process: subprocess.Popen | None) -> None:
        """Forget a dead worker so that the next request starts another (unless one was started since)."""
        with self._state:
            if process is not None and process is self._process:
                self.restarts += 1
                self._close_locked()
                self._warm.clear()

    def gi_star(self, counts: np.ndarray, neighbours: Mapping[int, Sequence[int]], *, permutations: int,
                seed: int) -> GiStar:
        """Return :func:`geo.analysis.hotspots.neighbours_gi_star` computed in the worker (waits for it).

        Raises
        ------
        WorkerError
            When the worker died before answering (the next call starts a new one).
        """
        return self._call("gi_star", {"counts": counts, "neighbours": dict(neighbours),
                                      "permutations": int(permutations), "seed": int(seed)})

    def step_gi_star(self, cube: np.ndarray, neighbours: Mapping[int, Sequence[int]], *, alpha: float,
                     permutations: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """Return :func:`geo.analysis.emerging.neighbours_step_gi_star` computed in the worker (waits for it)."""
        return self._call("step_gi_star", {"cube": cube, "neighbours": dict(neighbours), "alpha": float(alpha),
                                           "permutations": int(permutations), "seed": int(seed)})

    def loaded_modules(self) -> list[str]:
        """Return which of numba, esda and libpysal the worker has imported (for tests and benches)."""
        return self._call("modules", {})


_SHARED = PermutationWorker()
atexit.register(_SHARED.shutdown)


def shared_worker() -> PermutationWorker:
    """Return this process's one worker (started by its first request or :meth:`PermutationWorker.start`)."""
    return _SHARED


if __name__ == "__main__":
    main()
