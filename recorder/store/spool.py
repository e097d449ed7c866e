"""The overflow spool: an append-only JSON-lines file that holds records the database could not
take yet (an outage longer than the in-memory queue), read back in order once it catches up.

Layout: ``<path>`` holds one JSON document per line; ``<path>.pos`` holds the byte offset up to
which lines are committed to the database. Both are removed when everything is committed. A spool
left behind by a crash is picked up by the next writer on the same path (from ``.pos`` on, a torn
last line dropped), so a restart carries on where the last run stopped.

:func:`dumps` / :func:`loads` encode plain values plus aware datetimes (``{"$dt": iso}``).

When the file cannot be written (a full disk, an I/O error), :class:`SpoolError` hands back the
lines appended since the last successful fsync, after cutting the file back to that point: the
caller keeps them (the writer holds them in memory), so no line is both in the file and handed
back, and none is lost silently.
"""
from __future__ import annotations

import json
import logging
import os
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Callable


class SpoolError(OSError):
    """The spool file could not be written; ``lines`` are the ones not kept in it (those
    appended since the last successful fsync), oldest first."""

    def __init__(self, cause: OSError, lines: list[bytes]) -> None:
        super().__init__(cause.errno, f"spool file not written: {cause.strerror or cause}")
        self.lines = lines


log = logging.getLogger(__name__)


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"cannot spool a value of type {type(value).__name__}")


def _hook(obj: dict[str, Any]) -> Any:
    if len(obj) == 1 and "$dt" in obj:
        return datetime.fromisoformat(obj["$dt"])
    return obj


def _open_private(path: Path, mode: str) -> Any:
    """``open(path, mode)`` creating the file readable by its owner only (0600): spooled lines
    are chat content."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if "a" in mode else os.O_TRUNC)
    return os.fdopen(os.open(path, flags, 0o600), mode)


def dumps(obj: Any) -> str:
    """One spool line (ASCII JSON, so lone surrogates and any text survive)."""
    return json.dumps(obj, default=_default, separators=(",", ":"))


def loads(line: str | bytes) -> Any:
    return json.loads(line, object_hook=_hook)


def _bytes(line: str | bytes) -> bytes:
    return line if isinstance(line, bytes) else line.encode("ascii")


def _joined(lines: Any) -> bytes:
    return b"".join(_bytes(line) + b"\n" for line in lines)


class Spool:
    """Lines appended at the end, read from the committed offset, fsynced in batches."""

    def __init__(self, path: Path, *, sync_every: int = 5000, sync_interval: float = 0.25,
                 clock: Callable[[], float] = time.monotonic,
                 decode: Callable[[bytes], Any] = loads) -> None:
        self.path = Path(path)
        self.decode = decode
        self._pos_path = self.path.with_name(self.path.name + ".pos")
        self._sync_every, self._sync_interval, self._clock = sync_every, sync_interval, clock
        self._out: Any = None
        self._unsynced: list[bytes] = []  # appended since the last fsync (handed back on failure)
        self._synced_size = 0  # the file's size at the last fsync
        self._last_sync = clock()
        self._committed = 0  # byte offset of the first line not yet in the database
        self._read_at = 0  # byte offset of the first line not yet handed out
        self.pending = 0  # lines appended (or recovered) and not yet committed
        self._recover()

    def _recover(self) -> None:
        if not self.path.exists():
            return
        try:
            self._committed = int(self._pos_path.read_text().strip() or 0)
        except (FileNotFoundError, ValueError):
            self._committed = 0
        with open(self.path, "rb+") as f:
            data = f.read()
            end = data.rfind(b"\n") + 1  # drop a torn last line
            if end < len(data):
                f.truncate(end)
        self._committed = min(self._committed, end)
        self._read_at = self._committed
        self.pending = data[self._committed:end].count(b"\n")
        if self.pending == 0:
            self._remove()

    def append(self, line: str | bytes) -> None:
        """Add one line (text: ASCII, as :func:`dumps` gives; bytes: UTF-8 JSON without a
        newline); fsync once every ``sync_every`` lines or ``sync_interval`` seconds. Raises
        :class:`SpoolError` (with this line and the others not yet fsynced) if it cannot."""
        data = _bytes(line)
        self._unsynced.append(data)
        self.pending += 1
        try:
            if self._out is None:
                self._out = _open_private(self.path, "ab")
                self._synced_size = os.fstat(self._out.fileno()).st_size
            self._out.write(data + b"\n")
            if (len(self._unsynced) >= self._sync_every
                    or self._clock() - self._last_sync >= self._sync_interval):
                self._fsync()
        except OSError as exc:
            raise self._failed(exc) from exc

    def sync(self) -> None:
        """Flush and fsync what was appended (:class:`SpoolError` if it cannot)."""
        try:
            self._fsync()
        except OSError as exc:
            raise self._failed(exc) from exc

    def _fsync(self) -> None:
        if self._out is not None and self._unsynced:
            self._out.flush()
            os.fsync(self._out.fileno())
            self._synced_size = self._out.tell()
        self._unsynced = []
        self._last_sync = self._clock()

    def _failed(self, cause: OSError) -> SpoolError:
        """Cut the file back to its last fsync and hand back the lines appended since."""
        lines, self._unsynced = self._unsynced, []
        self.pending -= len(lines)
        out, self._out = self._out, None
        if out is not None:
            try:
                out.close()  # flushes again (and fails again), then closes the descriptor
            except OSError:
                pass
        try:
            if self.path.exists():
                os.truncate(self.path, self._synced_size)
        except OSError as exc:  # shrinking needs no room: only a failing device gets here
            log.error("could not cut the spool file %s back to its last fsync (%s): lines "
                      "handed back may also be read from it", self.path, exc)
        self._last_sync = self._clock()
        return SpoolError(cause, lines)

    def read(self, limit: int) -> tuple[list[Any], int]:
        """Up to ``limit`` decoded lines after those already handed out, and the offset after them."""
        self.sync()
        items: list[Any] = []
        with open(self.path, "rb") as f:
            f.seek(self._read_at)
            while len(items) < limit:
                line = f.readline()
                if not line.endswith(b"\n"):
                    break
                items.append(self.decode(line))
            self._read_at = f.tell() if items else self._read_at
        return items, self._read_at

    def commit(self, offset: int, count: int) -> None:
        """Lines up to ``offset`` are in the database; remove the files once all are. (If the
        offset cannot be saved, a full disk, it is kept in memory: only a crash before the next
        save would replay lines already committed.)"""
        self._committed = offset
        self.pending -= count
        if self.pending <= 0:
            self.pending = 0
            self._remove()
            return
        tmp = self._pos_path.with_name(self._pos_path.name + ".tmp")
        try:
            with _open_private(tmp, "w") as f:
                f.write(str(offset))
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self._pos_path)
        except OSError as exc:
            log.warning("could not save the spool's committed offset in %s (%s); kept in memory",
                        self._pos_path, exc)

    def rewind(self) -> None:
        """Hand out again from the committed offset (after a batch read but not committed)."""
        self._read_at = self._committed

    def rewrite_front(self, lines: list[str | bytes], after: list[str | bytes] = ()) -> None:
        """Put ``lines`` before everything not yet committed, and ``after`` after it (used
        when stopping mid-outage). Raises OSError if the file cannot be written."""
        handed_back: list[bytes] = []
        try:
            self.sync()
        except SpoolError as exc:  # lines it could not keep: newer than the file, older than after
            handed_back = exc.lines
            after = [*exc.lines, *after]
        rest = b""
        if self.path.exists():
            with open(self.path, "rb") as f:
                f.seek(self._committed)
                rest = f.read()
        self.close()
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            with _open_private(tmp, "wb") as f:
                f.write(_joined(lines) + rest + _joined(after))
                f.flush()
                os.fsync(f.fileno())
        except OSError as exc:
            tmp.unlink(missing_ok=True)  # the spool file itself is as it was (but for those)
            raise SpoolError(exc, handed_back) from exc
        os.replace(tmp, self.path)
        self._pos_path.unlink(missing_ok=True)
        self._committed = self._read_at = 0
        self.pending = len(lines) + rest.count(b"\n") + len(after)

    def close(self) -> None:
        self.sync()
        if self._out is not None:
            self._out.close()
            self._out = None

    def _remove(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
        self.path.unlink(missing_ok=True)
        self._pos_path.unlink(missing_ok=True)
        self._committed = self._read_at = 0
        self._unsynced = []
        self._synced_size = 0
