"""One watcher per data directory: an OS lock on the data directory itself, held for the watcher's whole life, and
`<data>/.watch/lock`, which holds the running watcher's PID."""

import errno
import fcntl
import os
import stat
import time
from pathlib import Path

from pulse.errors import PulseError
from pulse.watch.state import WATCH_DIR


class WatchLock:
    """Exclusive OS locks (flock) on the data directory and on `<data>/.watch/lock`, which holds the watcher's PID;
    the OS drops both when the process dies.

    The directory's lock is the one that counts: deleting `.watch/lock` under a running watcher (or the whole
    `.watch`) cannot let a second one start. The lock file is opened without following links, so a symlink put in
    its place cannot make the watcher overwrite the file it points to.
    """

    def __init__(self, root: Path):
        self.root = Path(root)
        self.path = self.root / WATCH_DIR / "lock"
        self._fds: list[int] = []
        self.pid: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.parent.is_symlink():
            raise PulseError(f"{self.path.parent} is a symbolic link: remove it, the watcher keeps its files there")
        directory = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            fcntl.flock(directory, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(directory)
            raise PulseError(
                f"another watcher (PID {self._holder()}) is already watching {self.root}; stop it first"
            ) from None
        self._fds.append(directory)
        try:
            fd = _open_file(self.path)
        except PulseError:
            self.release()
            raise
        self._fds.append(fd)
        # Held too, for what an older watcher locked; it cannot be busy while the directory's lock is ours.
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self.pid = os.getpid()

    def release(self) -> None:
        while self._fds:
            os.close(self._fds.pop())  # closing drops the lock

    def _holder(self) -> str:
        """The PID the running watcher wrote into the lock file (it may be a moment late to write it)."""
        for _ in range(20):
            try:
                fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
            except OSError:
                return "unknown"
            try:
                pid = os.pread(fd, 32, 0).decode(errors="replace").strip()
            finally:
                os.close(fd)
            if pid.isdigit():
                return pid
            time.sleep(0.05)
        return "unknown"


def _open_file(path: Path) -> int:
    """The lock file, opened for writing without following a link (a PulseError when it is one, or is no file)."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o644)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise PulseError(f"{path} is a symbolic link: remove it (the watcher never writes through one)") from None
        raise PulseError(f"cannot open {path}: {error.strerror or error}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise PulseError(f"{path} is not a regular file: remove it")
    return fd
