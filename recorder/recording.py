"""``recorder run``: the client's ordered raw-line hook -> projection -> the single writer.

Every line any connection receives becomes one ``raw_lines`` row (malformed ones too, with their
parse error) and the projection rows it means, in the same transaction (the writer's job). The
session row and connection events say when we were listening. SIGINT/SIGTERM stop reading, flush
everything and close the session; a second SIGINT exits at once.
"""
from __future__ import annotations

import asyncio
import logging
import signal
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from recorder import __version__
from recorder.gctune import tune_gc
from recorder.client.events import parse_event
from recorder.client.irc import ParseError
from recorder.store.projections import describe_line, project
from recorder.store.records import RawRecord

log = logging.getLogger("recorder")
#: Malformed lines logged one by one (then every 1,000th; the status line counts them all).
MALFORMED_LOGGED = 20


@dataclass
class RecorderConfig:
    channels: list[str]
    db: str = "chat.db"
    irc_url: str = "wss://irc-ws.chat.twitch.tv:443"
    helix_url: str = "https://api.twitch.tv/helix"
    auth_url: str = "https://id.twitch.tv/oauth2"
    token: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    duration: float | None = None
    enrich: bool = True
    spool: str | None = None
    log_level: str = "INFO"
    status_interval: float = 10.0
    # records held in memory (about 40 MB) before spilling to the spool: a few seconds of the
    # busiest real chat; 20,000 took the 1M-line memory run (bench_ingest) to 250-260 MB
    max_queue: int = 10_000
    retain_days: float | None = None  # prune raw lines (and their rows) older than this
    prune_interval: float = 3600.0
    keep_forgetting: bool = True  # drop lines of users in forgotten_users before storing them
    forget_refresh: float = 60.0  # re-read forgotten_users this often

    def __repr__(self) -> str:  # never show secrets
        return (f"RecorderConfig(channels={self.channels!r}, db=..., irc_url={self.irc_url!r}, "
                f"token={'***' if self.token else None}, "
                f"client_secret={'***' if self.client_secret else None})")


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Recorder:
    """One recording session: a Client, a Writer, and the hooks between them."""

    def __init__(self, config: RecorderConfig) -> None:
        self.config = config
        self.session_id: int | None = None
        self.writer: Any = None
        self.client: Any = None
        self.engine: Any = None
        self.enricher: Any = None
        self.counts: dict[str, int] = {}
        self.lines = 0
        self.malformed = 0
        self.forgotten_dropped = 0  # lines of forgotten users, dropped before storing
        self.forgotten: Any = None  # recorder.privacy.Identity when keep_forgetting
        self._forgotten_pattern: Any = None
        self._stop = asyncio.Event()

    # --- hooks (called synchronously by the client, in order) ------------------------
    def on_raw_line(self, raw: Any) -> None:
        received_at = raw.received_at
        if self.forgotten and self._is_forgotten(raw):
            self.forgotten_dropped += 1
            return
        if raw.message is None:
            self.malformed += 1
            reason = getattr(raw.error, "reason", None) or str(raw.error)
            if self.malformed <= MALFORMED_LOGGED or self.malformed % 1000 == 0:
                log.warning("malformed line #%d stored raw (%s): %r", self.malformed, reason,
                            raw.line[:200])
            record = RawRecord(received_at=received_at, line=raw.line, channel=None, command=None,
                               session_id=self.session_id, parse_error=reason)
        else:
            channel, command = describe_line(raw.message)
            event = raw.event if raw.event is not None else parse_event(raw.message)
            try:
                rows, error = project(event, received_at), None
            except Exception as exc:  # a projection bug must never cost the raw line
                rows, error = [], f"not projected: {type(exc).__name__}: {exc}"[:500]
                log.exception("projection failed; the line is stored raw")
            record = RawRecord(received_at=received_at, line=raw.line, channel=channel,
                               command=command, session_id=self.session_id, rows=rows,
                               parse_error=error)
            if channel:
                self.counts[channel] = self.counts.get(channel, 0) + 1
            if self.enricher is not None and error is None:
                self.enricher.observe(event)
        self.lines += 1
        self.writer.submit(record)

    def _is_forgotten(self, raw: Any) -> bool:
        from recorder.privacy import line_concerns

        return line_concerns(raw.line, self.forgotten, raw.message, self._forgotten_pattern)

    async def refresh_forgotten(self) -> None:
        """Re-read ``forgotten_users`` (at start, then every ``forget_refresh`` seconds)."""
        from recorder.privacy import load_forgotten

        async with self.engine.connect() as conn:
            who = await load_forgotten(conn)
        self.forgotten, self._forgotten_pattern = who, who.word_pattern()

    async def _forgotten_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.forget_refresh)
            try:
                await self.refresh_forgotten()
            except Exception as exc:  # an outage: keep the last list, try again later
                log.warning("could not re-read forgotten_users (%s)", type(exc).__name__)

    def _start_background(self) -> list[asyncio.Task]:
        tasks = []
        if self.config.keep_forgetting:
            tasks.append(asyncio.create_task(self._forgotten_loop(), name="forgotten"))
        if self.config.retain_days:
            from recorder.retention import prune_forever

            tasks.append(asyncio.create_task(prune_forever(
                self.engine, self.config.retain_days, interval=self.config.prune_interval),
                name="retention"))
        return tasks

    def on_connection_event(self, ev: Any) -> None:
        detail = ev.detail
        if ev.connection_id is not None:
            detail = f"conn={ev.connection_id}" + (f" {detail}" if detail else "")
        self.writer.connection_event(self.session_id, ev.kind, channel=ev.channel,
                                     detail=detail, at=ev.at)

    # --- lifecycle ---------------------------------------------------------------------
    async def open(self) -> None:
        from recorder.store.db import make_engine, normalize_url, upgrade_to_head
        from recorder.store.writer import Writer

        url = normalize_url(self.config.db)
        await upgrade_to_head(url)
        self.engine = make_engine(url)
        spool = Path(self.config.spool) if self.config.spool else _default_spool(self.config.db)
        self.writer = Writer(self.engine, spool_path=spool, max_queue=self.config.max_queue,
                             on_error=self._writer_error, process=True)
        await self.writer.start()

    def _writer_error(self, exc: BaseException, detail: str) -> None:
        now = asyncio.get_event_loop().time()
        if now - getattr(self, "_last_writer_error", -1e9) >= 10.0:  # at most one per 10 s
            self._last_writer_error = now
            log.warning("database trouble (%s): %s; holding lines and retrying",
                        type(exc).__name__, detail)

    def _make_client(self) -> Any:
        from recorder.client.client import Client

        client = Client(
            self.config.token, client_id=self.config.client_id,
            client_secret=self.config.client_secret, initial_channels=self.config.channels,
            irc_url=self.config.irc_url, helix_url=self.config.helix_url,
            auth_url=self.config.auth_url,
            # nothing here reads the chatter caches: each entry holds a chatter's last message
            # (~3.6 KB), 1,000 a channel by default, ~3.6 MB a channel for nothing
            chatter_cache_size=0,
        )
        client.add_raw_hook(self.on_raw_line)
        # in a burst the writer pauses reading (at most a second) before spilling to the spool
        client.set_reading_gate(self.writer.reading)
        client.add_connection_hook(self.on_connection_event)
        client.event_error = self._client_error  # type: ignore[method-assign]
        return client

    async def _client_error(self, error: Exception, data: str | None = None) -> None:
        """The client's errors, logged; a malformed line was logged (once, in one line) where
        it was stored raw, so its ParseError gets no traceback here."""
        if not isinstance(error, ParseError):
            log.error("error while handling %r", data, exc_info=error)

    async def run(self) -> int:
        tune_gc()
        await self.open()
        if self.config.keep_forgetting:
            await self.refresh_forgotten()
        self.client = self._make_client()
        self.session_id = await self.writer.start_session(
            server_url=self.config.irc_url, nick=None, version=__version__)
        self._install_signals()
        client_task = asyncio.create_task(self.client.start(), name="client")
        stop_task = asyncio.create_task(self._stop.wait(), name="stop")
        enrich_task = self._start_enrichment()
        status_task = asyncio.create_task(self._status_loop(), name="status")
        background = self._start_background()
        try:
            done, _ = await asyncio.wait({client_task, stop_task},
                                         timeout=self.config.duration,
                                         return_when=asyncio.FIRST_COMPLETED)
            if client_task in done and client_task.exception() is not None:
                raise client_task.exception()  # type: ignore[misc]
        finally:
            for task in (stop_task, status_task, enrich_task, *background):
                if task is not None:
                    task.cancel()
            await self.shutdown(client_task)
        return 0

    def _start_enrichment(self) -> asyncio.Task | None:
        if not self.config.enrich:
            return None
        if not (self.config.client_id and (self.config.client_secret or self.config.token)):
            log.info("enrichment off: no client id with a secret or token configured")
            return None
        from recorder.enrich import Enricher

        self.enricher = Enricher(self.client, self.engine, channels=self.config.channels)
        return asyncio.create_task(self.enricher.run(), name="enrich")

    async def shutdown(self, client_task: asyncio.Task | None = None) -> None:
        """Stop reading, write everything, close the session row."""
        if self.client is not None:
            await self.client.close()
        if client_task is not None and not client_task.done():
            client_task.cancel()
        if self.writer is not None:
            if self.session_id is not None:
                await self.writer.flush()
                await self.writer.end_session(self.session_id)
            await self.writer.close()
        if self.engine is not None:
            await self.engine.dispose()
        log.info("stopped: %d lines recorded (%d malformed, kept raw)", self.lines, self.malformed)
        if self.forgotten_dropped:
            log.info("dropped %d lines of forgotten users", self.forgotten_dropped)

    def stop(self) -> None:
        self._stop.set()

    def _install_signals(self) -> None:
        loop = asyncio.get_running_loop()
        presses = {"n": 0}

        def handler(signame: str) -> None:
            presses["n"] += 1
            if presses["n"] > 1 and signame == "SIGINT":
                log.warning("second SIGINT: exiting without flushing")
                raise SystemExit(130)
            log.info("%s: stopping, flushing everything", signame)
            self.stop()

        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, handler, sig.name)
            except (NotImplementedError, RuntimeError):  # not the main thread
                pass

    async def _status_loop(self) -> None:
        from recorder.status import StatusView

        view = StatusView(self)
        await view.run(self.config.status_interval)


def _default_spool(db: str) -> Path:
    if "://" in db and not db.startswith("sqlite"):
        return Path("recorder.spool")
    path = Path(db.split("///", 1)[-1]) if "://" in db else Path(db)
    return path.with_name(path.name + ".spool")


def configure_logging(level: str = "INFO") -> None:
    logging.basicConfig(level=getattr(logging, level), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("alembic", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, getattr(logging, level)))
    from recorder.redact import install

    install()  # mask oauth:..., access_token=... in every log line (defence in depth)


def run_recorder(config: RecorderConfig) -> int:
    configure_logging(config.log_level)
    return asyncio.run(Recorder(config).run())
