"""A Twitch-compatible simulator: IRC over websocket, Helix and OAuth on one local port.

Shares nothing with :mod:`recorder.client` but the wire protocol, so it can catch client bugs.

- :mod:`recorder.sim.world`: users, games, channels (deterministic for a seed).
- :mod:`recorder.sim.ircserver` / :mod:`~recorder.sim.connection`: the IRC websocket server.
- :mod:`recorder.sim.traffic` (with :mod:`~recorder.sim.chat`, :mod:`~recorder.sim.usernotices`):
  synthetic chat, recorded as facts in :class:`~recorder.sim.record.SentRecord`.
- :mod:`recorder.sim.faults`: RECONNECT, drops, half-open, junk, slowness.
- :mod:`recorder.sim.oauth`, :mod:`recorder.sim.helix`: the HTTP side.
- :mod:`recorder.sim.server`: the :class:`Simulator` facade; :mod:`recorder.sim.cli`: the command.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Simulator", "World", "SentRecord"]


def __getattr__(name: str) -> Any:
    """Import lazily, so ``import recorder.sim.world`` stays light."""
    if name == "Simulator":
        from recorder.sim.server import Simulator
        return Simulator
    if name == "World":
        from recorder.sim.world import World
        return World
    if name == "SentRecord":
        from recorder.sim.record import SentRecord
        return SentRecord
    raise AttributeError(name)
