"""The run's outputs as one transaction: checked before anything runs, staged beside their targets,
renamed into place together with SIGINT and SIGTERM held off, or not at all.

* :func:`check_file_target` and :func:`check_dir_target` refuse, in one line, a target that is a
  symbolic link, a device, FIFO or socket, a directory where a file is wanted (or the reverse), or
  one whose directory does not exist or cannot be written (tried by creating a file there, which
  also holds for root, whom ``os.access`` never refuses);
* :class:`Outputs` stages every file (``.NAME.XXXX.tmp``) and directory (``.NAME.XXXX.tmp/``) in
  the target's own directory, so the final renames never cross a file system;
  :meth:`Outputs.commit` renames them all with the signals deferred, and :meth:`Outputs.abort` (or
  leaving the ``with`` block by an exception) removes every staged path.  An interrupt before the
  commit leaves every earlier output as it was; one during it is acted on once it is done.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import stat
import tempfile
import threading
from pathlib import Path

from theory.errors import InputError

__all__ = ["OutputError", "Outputs", "check_dir_target", "check_file_target", "deferred_signals", "terminate_as_interrupt"]


class OutputError(InputError):
    """An output could not be written (a full disk, a quota, a read-only file system): exit 2."""


def _check_parent(path: Path, flag: str) -> None:
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(f"{flag} {str(path)!r}: directory {str(parent)!r} does not exist; create it first")
    try:
        fd, probe = tempfile.mkstemp(prefix=_stage_prefix(path.name), suffix=".probe", dir=parent)
    except OSError as exc:
        raise InputError(f"{flag} {str(path)!r}: cannot write in {str(parent)!r} ({exc.strerror or exc}); "
                         "choose a writable place") from None
    os.close(fd)
    os.unlink(probe)


def _check_name(path: Path, flag: str) -> None:
    """A name the file system can hold (a longer one fails every operation on the path)."""
    parent = path.parent if str(path.parent) else Path(".")
    try:
        limit = os.pathconf(parent if parent.is_dir() else ".", "PC_NAME_MAX")
    except (OSError, ValueError):
        limit = 255
    for part in path.parts:
        if len(os.fsencode(part)) > limit:
            raise InputError(f"{flag}: the name {part[:40]!r}... is {len(os.fsencode(part))} bytes long, more than the "
                             f"{limit} the file system allows; choose a shorter name")


def _check_not_link(path: Path, flag: str) -> None:
    _check_name(path, flag)
    if path.is_symlink():
        raise InputError(f"{flag} {str(path)!r} is a symbolic link (to {os.readlink(path)!r}); memverify does "
                         "not write through links: give the real path")


def check_file_target(path, flag: str) -> Path:
    """A file the run will (re)place: absent or a regular file, in a writable directory."""
    p = Path(path)
    _check_not_link(p, flag)
    if p.exists():
        mode = p.stat().st_mode
        if stat.S_ISDIR(mode):
            raise InputError(f"{flag} {str(p)!r} is a directory; give a file name")
        if not stat.S_ISREG(mode):
            raise InputError(f"{flag} {str(p)!r} is not a regular file (a device, FIFO or socket); "
                             "give the path of an ordinary file")
    _check_parent(p, flag)
    return p


def check_dir_target(path, flag: str) -> Path:
    """A directory the run will fill: absent (its parent writable) or a writable real directory."""
    p = Path(path)
    _check_not_link(p, flag)
    if p.exists() and not p.is_dir():
        raise InputError(f"{flag} {str(p)!r} is a file; give a directory")
    _check_parent(p, flag)
    if p.is_dir():
        _check_parent(p / "probe", flag)
    return p


@contextlib.contextmanager
def deferred_signals():
    """Hold SIGINT and SIGTERM until the block is done, then act on the first that came (as
    ``KeyboardInterrupt``).  Off the main thread, where handlers cannot be set, a plain block."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list = []
    sigs = [signal.SIGINT] + ([signal.SIGTERM] if hasattr(signal, "SIGTERM") else [])
    previous = {s: signal.signal(s, lambda num, frame: pending.append(num)) for s in sigs}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if pending:
        raise KeyboardInterrupt(signal.Signals(pending[0]).name)


def terminate_as_interrupt() -> None:
    """Make SIGTERM raise ``KeyboardInterrupt``, as Ctrl-C does, so that it unwinds the same way
    (staged outputs removed, earlier outputs intact).  Main thread only."""
    if hasattr(signal, "SIGTERM") and threading.current_thread() is threading.main_thread():
        def _raise(num, frame):
            raise KeyboardInterrupt("SIGTERM")

        signal.signal(signal.SIGTERM, _raise)


class Outputs:
    """Staged outputs, committed together or removed."""

    def __init__(self):
        self._files: list = []  # (staged, target)
        self._dirs: list = []  # (staged, target, stale)
        self.written: list = []

    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        self.abort()
        if isinstance(value, OSError):  # a full disk, a quota, a read-only file system: the user's to fix
            from .escape import plain

            where = f" {plain(value.filename)!s}:" if value.filename else ""
            raise OutputError(f"cannot write the outputs:{where} {value.strerror or value}; nothing was written (earlier "
                              "outputs are as they were): free space there or choose another path") from None
        return False

    def file(self, target, data: str | bytes) -> None:
        """Stage ``data`` for the file ``target`` (checked: :func:`check_file_target`)."""
        target = Path(target)
        directory = target.parent if str(target.parent) else Path(".")
        fd, tmp = tempfile.mkstemp(prefix=_stage_prefix(target.name), suffix=".tmp", dir=directory)
        self._files.append((Path(tmp), target))
        with os.fdopen(fd, "wb") as fh:
            # a path that is no valid UTF-8 (its undecodable bytes as surrogates) is written escaped
            fh.write(data.encode("utf-8", errors="backslashreplace") if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)  # mkstemp makes 0600; a report is an ordinary file

    def directory(self, target, stale=None) -> Path:
        """A staged directory to fill for ``target``.  At the commit an absent ``target`` is the staged
        directory renamed; an existing one (which may hold files of the user's own) gets each staged
        entry renamed in, a staged subdirectory replacing its namesake whole, and the files that
        ``stale(target, new_names)`` lists (earlier outputs this run did not produce) removed."""
        target = Path(target)
        directory = target.parent if str(target.parent) else Path(".")
        tmp = Path(tempfile.mkdtemp(prefix=_stage_prefix(target.name), suffix=".tmp", dir=directory))
        os.chmod(tmp, 0o777 & ~_umask())
        self._dirs.append((tmp, target, stale))
        return tmp

    def commit(self) -> None:
        """Rename every staged path into place with SIGINT and SIGTERM deferred."""
        with deferred_signals():
            for tmp, target, stale in self._dirs:
                if not target.is_dir():
                    os.replace(tmp, target)
                else:
                    new = sorted(p.name for p in tmp.iterdir())
                    for name in new:
                        _replace(tmp / name, target / name)
                    for old in (stale(target, new) if stale else ()):
                        if old in (".", "..") or Path(old).name != old:
                            continue  # a stale output is a plain name inside target, never a path out of it
                        (target / old).unlink(missing_ok=True)
                    tmp.rmdir()
                self.written.append(target)
            for tmp, target in self._files:
                os.replace(tmp, target)
                self.written.append(target)
            self._files, self._dirs = [], []

    def abort(self) -> None:
        """Remove every staged path (nothing committed stays staged)."""
        for tmp, _ in self._files:
            tmp.unlink(missing_ok=True)
        for tmp, _, _ in self._dirs:
            shutil.rmtree(tmp, ignore_errors=True)
        self._files, self._dirs = [], []


def _stage_prefix(name: str) -> str:
    """The staged file's name prefix: ``.NAME.``, or for a long NAME (a legal 245-character file name
    would leave no room for the random part and suffix) its first 100 characters."""
    return f".{name[:100]}."


def _replace(src: Path, dst: Path) -> None:
    """``os.replace``, also for a directory over a non-empty one (the old one goes to a trash beside it)."""
    if src.is_dir() and dst.is_dir() and not dst.is_symlink():
        trash = Path(tempfile.mkdtemp(prefix=f".{dst.name}.", suffix=".old", dir=dst.parent))
        os.replace(dst, trash / dst.name)
        os.replace(src, dst)
        shutil.rmtree(trash, ignore_errors=True)
    else:
        os.replace(src, dst)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
