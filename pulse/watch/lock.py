"""One watcher per data directory: an exclusive lock in `<data>/.watch/` that holds the running watcher's PID."""

import fcntl
import os
import time
from pathlib import Path

from pulse.errors import PulseError
from pulse.watch.state import WATCH_DIR


class WatchLock:
    """An exclusive lock on `<data>/.watch/lock` holding the watcher's PID; the OS drops it when the process dies."""

    def __init__(self, root: Path):
        self.path = Path(root) / WATCH_DIR / "lock"
        self._fd: int | None = None
        self.pid: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = _holder(fd)
            os.close(fd)
            raise PulseError(
                f"another watcher (PID {pid}) is already watching {self.path.parents[1]}; stop it first"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        self.pid = os.getpid()

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the lock
            self._fd = None


def _holder(fd: int) -> str:
    """The PID the running watcher wrote into the lock file (it may be a moment late to write it)."""
    for _ in range(20):
        pid = os.pread(fd, 32, 0).decode(errors="replace").strip()
        if pid:
            return pid
        time.sleep(0.05)
    return "unknown"
