"""The compiled twins of the client's hottest pure functions, where they were built.

``recorder/client/_speedups.c`` (built by ``pip install``, optional: no C compiler, no
extension) holds C versions of a few functions every recorded line goes through (the tag
splitting of :mod:`recorder.client.irc`, the badge splitting of :mod:`recorder.client.events`,
the PRIVMSG projection of :mod:`recorder.store.projections`, the rows handed to the SQLite
writer process by :mod:`recorder.store.sqlite_proc`).
The pure-Python functions stay the specification: :func:`speedup` hands out the C version when
the extension is there and ``RECORDER_PURE_PYTHON`` is not set, else the Python one, and
tests/client/test_speedups.py checks that both give the same results.
"""
from __future__ import annotations

import os
from typing import Any, Callable

__all__ = ["COMPILED", "speedup"]

try:
    if os.environ.get("RECORDER_PURE_PYTHON"):
        raise ImportError("RECORDER_PURE_PYTHON is set")
    from . import _speedups as _compiled
except ImportError:
    _compiled = None  # type: ignore[assignment]

#: True when the compiled functions are in use.
COMPILED = _compiled is not None


def speedup(name: str, python: Callable[..., Any]) -> Callable[..., Any]:
    """The compiled function ``name`` if available, else ``python`` (its specification)."""
    return getattr(_compiled, name, python) if _compiled is not None else python
