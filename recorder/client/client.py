"""``Client``: the public API of the client reference (shared/reference/), IRC half + Helix mixin.

    client = Client(token, initial_channels=["a", "b"])
    client.add_raw_hook(on_raw)          # on_raw(raw: RawLine): sync, in order, every line once
    client.add_connection_hook(on_conn)  # on_conn(ev: ConnectionEvent): sync
    @client.event()
    async def event_message(message): ...
    client.run()

Every line goes: connection read loop -> pool (joins, RECONNECT, duplicate marking) ->
``pool_line``: raw hooks (synchronously, before any dispatch) -> ``parse_<COMMAND>`` -> dispatch.
Handlers run as tasks, at most ``max_concurrent_handlers`` at once: past that the read loop
waits (backpressure) instead of piling up tasks. A handler that raises goes to ``event_error``.

Events beyond the reference (all documented on :class:`Dispatcher`): event_clearchat, event_ban,
event_timeout, event_clearmsg, event_roomstate, event_whisper, event_usernotice (typed),
event_hosttarget, event_globaluserstate, event_unknown. Twitch no longer sends MODE lines;
event_mode fires if a server still does.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import random
from typing import Any, Callable

import aiohttp

from .errors import AuthenticationError, InvalidContent, NoToken
from .limiter import JoinLimiter, SendLimiter
from .events import (ClearChat, ClearMsg, GlobalUserState, HostTarget, Join, Names, Notice, Part,
                     PrivMsg, RoomState, Unknown, UserNotice, UserState, Whisper)
from .models import Channel, Chatter, ConnectionEvent, Message, PartialChatter, RawLine
from .pool import ConnectionPool, PoolSettings

from .api import HelixAPI

__all__ = ["Client", "Dispatcher", "MAX_MESSAGE_LENGTH"]

log = logging.getLogger(__name__)
_MISSING = object()
MAX_MESSAGE_LENGTH = 500
RawHook = Callable[[RawLine], None]
ConnectionHook = Callable[[ConnectionEvent], None]


class Dispatcher:
    """Event registry, handler tasks with bounded concurrency, waiters, and one
    ``parse_<COMMAND>`` method per IRC command (found by name) that dispatches its events.

    Events of the reference: ready, reconnect, raw_data(data), message(message),
    join(channel, user), part(user), mode(channel, user, status), userstate(user),
    raw_usernotice(channel, tags), usernotice_subscription(metadata: the typed UserNotice of a
    sub / resub), notice(message, msg_id, channel), raw_notice(data), channel_joined(channel),
    channel_join_failure(channel: str), error(error, data).
    Beyond the reference: usernotice(notice: UserNotice), clearchat(ClearChat), ban(ClearChat),
    timeout(ClearChat), clearmsg(ClearMsg), roomstate(RoomState), whisper(Whisper),
    hosttarget(HostTarget), globaluserstate(GlobalUserState), unknown(Unknown: any command not
    typed, e.g. 421 replies come as numerics and are not dispatched).
    """

    _nick: str | None
    _user_id: str | None

    def __init__(self, *, max_concurrent_handlers: int, chatter_cache_size: int,
                 retain_cache: bool) -> None:
        self._listeners: dict[str, list[Callable[..., Any]]] = {}
        self._handler_cache: dict[str, tuple[Callable[..., Any], ...]] = {}
        self._waiters: dict[str, list[tuple[asyncio.Future[Any], Callable[..., bool]]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._max_handlers = max(1, max_concurrent_handlers)
        self._slot_free = asyncio.Event()
        self._channels: dict[str, Channel] = {}
        self._moderator: dict[str, bool] = {}
        self._cache_size = chatter_cache_size
        self._retain_cache = retain_cache
        self._line_count = self._malformed = self._handler_errors = 0
        self._data: str | None = None
        self._parsers: dict[str, Any] = {}  # command -> bound parse_<COMMAND> (or None)

    # --- registration -------------------------------------------------------------------
    def event(self, name: str | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator: register a coroutine as a handler of ``name`` (default: its own name,
        ``event_message`` or ``message``)."""
        def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
            self.add_event(func, name)
            return func
        return decorator

    def add_event(self, callback: Callable[..., Any], name: str | None = None) -> None:
        if not inspect.iscoroutinefunction(callback):
            raise ValueError("event callbacks must be coroutine functions")
        key = _event_key(name or callback.__name__)
        self._listeners.setdefault(key, []).append(callback)
        self._handler_cache.pop(key, None)

    def remove_event(self, callback: Callable[..., Any]) -> bool:
        for key, callbacks in self._listeners.items():
            if callback in callbacks:
                callbacks.remove(callback)
                self._handler_cache.pop(key, None)
                return True
        return False

    @property
    def events(self) -> dict[str, list[Callable[..., Any]]]:
        """Event name (``event_message``) -> the coroutines registered with ``event()``."""
        return {f"event_{key}": list(funcs) for key, funcs in self._listeners.items() if funcs}

    def _handlers(self, key: str) -> tuple[Callable[..., Any], ...]:
        handlers = self._handler_cache.get(key)
        if handlers is None:
            method = getattr(self, f"event_{key}", None)
            base = getattr(Dispatcher, f"event_{key}", None)
            own = method is not None and (key == "error"
                                          or getattr(method, "__func__", method) is not base)
            handlers = ((method,) if own else ()) + tuple(self._listeners.get(key, ()))
            self._handler_cache[key] = handlers
        return handlers

    def wants(self, key: str) -> bool:
        """Whether anything would receive event ``key`` (lets parsers skip building objects)."""
        return bool(self._handlers(key) or self._waiters.get(key))

    # --- dispatching ----------------------------------------------------------------------
    def dispatch(self, key: str, *args: Any) -> None:
        """Resolve waiters of ``key`` and start its handlers as tasks."""
        waiters = self._waiters.get(key)
        if waiters:
            self._resolve_waiters(waiters, args)
        for handler in self._handlers(key):
            task = asyncio.create_task(self._run(handler, key, args, self._data))
            self._tasks.add(task)
            task.add_done_callback(self._task_done)

    def _resolve_waiters(self, waiters: list[tuple[asyncio.Future[Any], Callable[..., bool]]],
                         args: tuple[Any, ...]) -> None:
        for item in list(waiters):
            future, predicate = item
            if future.done():
                waiters.remove(item)
                continue
            try:
                matched = predicate(*args)
            except Exception as exc:
                future.set_exception(exc)
                matched = True
            if matched:
                if not future.done():
                    future.set_result(args)
                waiters.remove(item)

    async def _run(self, handler: Callable[..., Any], key: str, args: tuple[Any, ...],
                   data: str | None) -> None:
        try:
            await handler(*args)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._handler_errors += 1
            if key == "error":
                log.exception("event_error raised")
            else:
                self._data = data
                self.dispatch("error", exc, data)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if len(self._tasks) < self._max_handlers:
            self._slot_free.set()

    async def _backpressure(self) -> None:
        """Stop reading while ``max_concurrent_handlers`` handlers are still running."""
        while len(self._tasks) >= self._max_handlers:
            self._slot_free.clear()
            await self._slot_free.wait()

    async def cancel_handlers(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def wait_for(self, event: str, predicate: Callable[..., bool] = lambda *a: True, *,
                       timeout: float | None = 60.0) -> tuple[Any, ...]:
        """Wait for event ``event`` (no ``event_`` prefix) whose args satisfy ``predicate``;
        its arguments. Raises asyncio.TimeoutError after ``timeout`` seconds."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        key = _event_key(event)
        entry = (future, predicate)
        self._waiters.setdefault(key, []).append(entry)
        try:
            return await asyncio.wait_for(future, timeout)
        finally:  # timed out or cancelled: not kept until the event next happens
            waiters = self._waiters.get(key)
            if waiters and entry in waiters:
                waiters.remove(entry)

    # --- lines ----------------------------------------------------------------------------
    async def handle_line(self, raw: RawLine) -> None:
        """Dispatch what one line means (after the raw hooks saw it)."""
        if self.dispatch_line(raw):
            await self._backpressure()

    def dispatch_line(self, raw: RawLine) -> bool:
        """:meth:`handle_line` without the wait: True when ``max_concurrent_handlers`` handlers
        are running and the caller should ``await drain()`` before the next line."""
        self._line_count += 1
        if raw.duplicate:
            return False
        self._data = raw.line
        if self._handlers("raw_data"):
            self.dispatch("raw_data", raw.line)
        event = raw.event
        if event is None:
            self._malformed += 1
            self.dispatch("error", raw.error, raw.line)
        else:
            command = event.line.command
            parser = self._parsers.get(command, _MISSING)
            if parser is _MISSING:
                parser = getattr(self, f"parse_{command}", None)
                if parser is not None:  # only commands we parse: a server's whims are unbounded
                    self._parsers[command] = parser
            if parser is not None:
                parser(event)
            elif isinstance(event, Unknown):
                self.dispatch("unknown", event)
        return len(self._tasks) >= self._max_handlers

    async def drain(self) -> None:
        """Wait until fewer than ``max_concurrent_handlers`` handlers are running."""
        await self._backpressure()

    def _channel(self, name: str) -> Channel:
        channel = self._channels.get(name)
        if channel is None:
            channel = self._channels[name] = Channel(name, self, self._cache_size)  # type: ignore[arg-type]
        return channel

    def handle_connection_event(self, event: ConnectionEvent) -> None:
        if event.kind == "joined" and event.channel:
            self.dispatch("channel_joined", self._channel(event.channel))
        elif event.kind == "join_failed" and event.channel:
            self.dispatch("channel_join_failure", event.channel)
        elif event.kind == "parted" and event.channel and not self._retain_cache:
            channel = self._channels.get(event.channel)
            if channel is not None:
                channel.cache.clear()

    # --- one parser per command (parse_<COMMAND>) -------------------------------------------
    def parse_PRIVMSG(self, event: PrivMsg) -> None:
        name = event.channel
        if name is None:
            return
        channel = self._channels.get(name) or self._channel(name)
        login = event.login or ""
        channel.cache.touch(login, event)
        if self.wants("message"):
            self.dispatch("message", Message(event, channel, echo=login == self._nick))

    def parse_USERNOTICE(self, event: UserNotice) -> None:
        channel = self._channel(event.channel or "")
        if event.login:
            channel.cache.touch(event.login)
        if self.wants("raw_usernotice"):
            self.dispatch("raw_usernotice", channel, event.tags)
        self.dispatch("usernotice", event)
        if event.msg_id in ("sub", "resub"):
            self.dispatch("usernotice_subscription", event)

    def parse_NOTICE(self, event: Notice) -> None:
        self.dispatch("raw_notice", event.raw)
        channel = self._channel(event.channel) if event.channel else None
        self.dispatch("notice", event.text or "", event.msg_id, channel)

    def parse_CLEARCHAT(self, event: ClearChat) -> None:
        self.dispatch("clearchat", event)
        if event.kind in ("ban", "timeout"):
            self.dispatch(event.kind, event)

    def parse_CLEARMSG(self, event: ClearMsg) -> None:
        self.dispatch("clearmsg", event)

    def parse_ROOMSTATE(self, event: RoomState) -> None:
        self.dispatch("roomstate", event)

    def parse_WHISPER(self, event: Whisper) -> None:
        self.dispatch("whisper", event)

    def parse_HOSTTARGET(self, event: HostTarget) -> None:
        self.dispatch("hosttarget", event)

    def parse_GLOBALUSERSTATE(self, event: GlobalUserState) -> None:
        self._user_id = self._user_id or event.user_id
        self.dispatch("globaluserstate", event)

    def parse_USERSTATE(self, event: UserState) -> None:
        if event.channel is None:
            return
        channel = self._channel(event.channel)
        badges = event.badges
        self._moderator[channel.name] = bool(event.is_mod or "broadcaster" in badges
                                             or "moderator" in badges)
        self.dispatch("userstate", Chatter(event, self._nick or "", channel))

    def parse_JOIN(self, event: Join) -> None:
        if event.channel is None or event.login is None or event.login == self._nick:
            return
        channel = self._channel(event.channel)
        channel.cache.touch(event.login)
        self.dispatch("join", channel, PartialChatter(event.login, channel))

    def parse_PART(self, event: Part) -> None:
        if event.channel is None or event.login is None or event.login == self._nick:
            return
        channel = self._channel(event.channel)
        if not self._retain_cache:
            channel.cache.discard(event.login)
        self.dispatch("part", PartialChatter(event.login, channel))

    def parse_353(self, event: Names) -> None:
        if event.channel is not None:
            cache = self._channel(event.channel).cache
            for login in event.names:
                cache.touch(login)

    def parse_MODE(self, event: Unknown) -> None:
        """``:jtv MODE #channel +o login`` (Twitch stopped sending these; kept for servers that do)."""
        params = event.line.params
        if len(params) >= 3 and params[0].startswith("#"):
            channel = self._channel(params[0][1:].lower())
            self.dispatch("mode", channel, PartialChatter(params[2].lower(), channel), params[1])
        self.dispatch("unknown", event)

    # --- the default (no-op) handlers of the reference; override or use event() ------------
    async def event_ready(self) -> None: ...
    async def event_reconnect(self) -> None: ...
    async def event_raw_data(self, data: str) -> None: ...
    async def event_message(self, message: Message) -> None: ...
    async def event_join(self, channel: Channel, user: PartialChatter) -> None: ...
    async def event_part(self, user: PartialChatter) -> None: ...
    async def event_mode(self, channel: Channel, user: PartialChatter, status: str) -> None: ...
    async def event_userstate(self, user: Chatter) -> None: ...
    async def event_raw_usernotice(self, channel: Channel, tags: dict[str, str]) -> None: ...
    async def event_usernotice_subscription(self, metadata: UserNotice) -> None: ...
    async def event_notice(self, message: str, msg_id: str | None, channel: Channel | None) -> None: ...
    async def event_raw_notice(self, data: str) -> None: ...
    async def event_channel_joined(self, channel: Channel) -> None: ...
    async def event_channel_join_failure(self, channel: str) -> None: ...

    async def event_error(self, error: Exception, data: str | None = None) -> None:
        """Default: log the error with its traceback (override to handle it)."""
        log.error("error while handling %r", data, exc_info=error)


def _event_key(name: str) -> str:
    return name[6:] if name.startswith("event_") else name


class Client(Dispatcher, HelixAPI):
    """The Twitch client of the reference: IRC (pool of websockets) and Helix."""

    def __init__(self, token: str | None = None, *, client_secret: str | None = None,
                 initial_channels: list[str] | tuple[str, ...] | Callable[[], Any] | None = None,
                 loop: asyncio.AbstractEventLoop | None = None, heartbeat: float | None = 30.0,
                 retain_cache: bool = True, irc_url: str = "wss://irc-ws.chat.twitch.tv:443",
                 helix_url: str = "https://api.twitch.tv/helix",
                 auth_url: str = "https://id.twitch.tv/oauth2", client_id: str | None = None,
                 nick: str | None = None, user_id: str | None = None,
                 channels_per_connection: int = 50, join_rate: tuple[int, float] = (20, 10.0),
                 join_timeout: float = 10.0, pong_timeout: float = 10.0,
                 login_timeout: float = 15.0, backoff_base: float = 1.0, backoff_max: float = 60.0,
                 reconnect_grace: float = 2.0,
                 send_rate: tuple[int, int, float] = (20, 100, 30.0),
                 chatter_cache_size: int = 1000, max_concurrent_handlers: int = 1000) -> None:
        HelixAPI.__init__(self, token=token, client_id=client_id, client_secret=client_secret,
                          helix_url=helix_url, auth_url=auth_url)
        Dispatcher.__init__(self, max_concurrent_handlers=max_concurrent_handlers,
                            chatter_cache_size=chatter_cache_size, retain_cache=retain_cache)
        self._token = token
        self._initial_channels = initial_channels
        self.loop = loop
        self.heartbeat = heartbeat
        self.irc_url = irc_url
        self._nick, self._user_id = (nick.lower() if nick else None), user_id
        self._pool_options = dict(channels_per_connection=channels_per_connection,
                                  join_timeout=join_timeout, heartbeat=heartbeat,
                                  pong_timeout=pong_timeout, login_timeout=login_timeout,
                                  backoff_base=backoff_base, backoff_max=backoff_max,
                                  reconnect_grace=reconnect_grace)
        self._join_limiter = JoinLimiter(*join_rate)
        normal, moderator, per = send_rate
        self._send_limiter = SendLimiter(normal, per, moderator_limit=moderator)
        self._raw_hooks: list[RawHook] = []
        self._reading_gate: asyncio.Event | None = None
        self._connection_hooks: list[ConnectionHook] = []
        self._pool: ConnectionPool | None = None
        self._session: aiohttp.ClientSession | None = None
        self._closing = asyncio.Event()
        self._ready = asyncio.Event()

    @classmethod
    def from_client_credentials(cls, client_id: str, client_secret: str, *,
                                loop: asyncio.AbstractEventLoop | None = None,
                                heartbeat: float | None = 30.0, **options: Any) -> "Client":
        """A client whose Helix calls use an app token generated from the client credentials;
        IRC is then read anonymously (an app token cannot log in to chat)."""
        return cls(None, client_id=client_id, client_secret=client_secret, loop=loop,
                   heartbeat=heartbeat, **options)

    # --- properties ---------------------------------------------------------------------
    @property
    def nick(self) -> str | None:
        """The IRC login in use (``justinfan<digits>`` when anonymous)."""
        return self._nick

    @property
    def user_id(self) -> str | None:
        return self._user_id

    @property
    def joined_channels(self) -> set[str]:
        """Channels whose JOIN was confirmed on a live connection."""
        return self._pool.joined if self._pool else set()

    @property
    def connected_channels(self) -> list[Channel]:
        return [c for name, c in self._channels.items() if name in self.joined_channels]

    @property
    def stats(self) -> dict[str, int]:
        """connections (live), lines (received), reconnects, malformed, handler_errors."""
        pool = self._pool
        return {"connections": len(pool.connections) if pool else 0, "lines": self._line_count,
                "reconnects": pool.reconnects if pool else 0, "malformed": self._malformed,
                "handler_errors": self._handler_errors}

    # --- hooks --------------------------------------------------------------------------
    def add_raw_hook(self, hook: RawHook) -> None:
        """``hook(raw: RawLine)`` is called synchronously, in order, for every line of every
        connection exactly once (malformed ones too), before anything is dispatched."""
        self._raw_hooks.append(hook)

    def add_connection_hook(self, hook: ConnectionHook) -> None:
        """``hook(ev: ConnectionEvent)``: connected, disconnected, reconnect_requested, joined,
        parted, join_failed; synchronously, when it happens."""
        self._connection_hooks.append(hook)

    def set_reading_gate(self, gate: asyncio.Event | None) -> None:
        """Every connection waits, before its next line, while ``gate`` is clear: a consumer
        of the raw hook that falls behind (the recorder's writer in a burst) slows reading down
        for a moment instead of piling lines up. Keep the pauses short (the server's PINGs
        wait too). None: no gate."""
        self._reading_gate = gate

    # --- lifecycle ----------------------------------------------------------------------
    def run(self) -> None:
        """Block: start the client on an event loop until ``close()`` or Ctrl-C."""
        loop = self.loop or asyncio.new_event_loop()
        try:
            loop.run_until_complete(self.start())
        except KeyboardInterrupt:
            loop.run_until_complete(self.close())
        finally:
            loop.close()

    async def start(self) -> None:
        """Connect, then run until ``close()``. A fatal login failure raises AuthenticationError."""
        try:
            await self.connect()
            assert self._pool is not None
            closing = asyncio.ensure_future(self._closing.wait())
            await asyncio.wait({closing, self._pool.fatal}, return_when=asyncio.FIRST_COMPLETED)
            closing.cancel()
            if self._pool.fatal.done():
                self._pool.fatal.result()
        finally:
            if not self._closing.is_set():
                await self.close()

    async def connect(self) -> None:
        """Log in (validating the token first) and join the initial channels; returns once
        every initial join is confirmed or has failed."""
        self._closing.clear()
        await self._identify()
        channels = self._initial_channels
        channels = list(channels() if callable(channels) else channels or ())
        self._session = aiohttp.ClientSession()
        settings = PoolSettings(self.irc_url, self._nick or "", self._irc_token(), **self._pool_options)
        self._pool = ConnectionPool(settings, self, self._join_limiter, self._session)
        await self._pool.start(channels)

    async def _identify(self) -> None:
        if self._nick is None and self._token:
            info = await self.http.validate()
            self._nick = (info.get("login") or "").lower() or None
            self._user_id = info.get("user_id")
        if self._nick is None:
            self._nick = f"justinfan{random.randint(10_000, 99_999_999)}"

    def _irc_token(self) -> str | None:
        return self._token if self._token and not self._nick.startswith("justinfan") else None  # type: ignore[union-attr]

    async def close(self) -> None:
        """Disconnect every connection and release the sessions."""
        self._closing.set()
        if self._pool is not None:
            await self._pool.close()
        await self.cancel_handlers()
        if self._session is not None:
            await self._session.close()
        await self.http.close()

    # --- channels -----------------------------------------------------------------------
    async def join_channels(self, channels: list[str] | tuple[str, ...]) -> None:
        """Join ``channels`` (through the account's JOIN limiter); returns once each is joined
        or failed. Before ``connect()`` they are added to the initial channels."""
        if self._pool is None:
            initial = self._initial_channels
            base = list(initial() if callable(initial) else initial or ())
            self._initial_channels = base + list(channels)
            return
        await self._pool.join(channels)

    async def part_channels(self, channels: list[str] | tuple[str, ...]) -> None:
        """Leave ``channels``; they are not rejoined and their chatter cache is dropped."""
        if self._pool is not None:
            await self._pool.part(channels)
        for name in channels:
            self._channels.pop(name.lstrip("#").lower(), None)
            self._moderator.pop(name.lstrip("#").lower(), None)

    def get_channel(self, name: str) -> Channel | None:
        """The known channel ``name`` (joined, or seen on a connection), else None."""
        return self._channels.get(name.lstrip("#").lower())

    async def wait_for_ready(self) -> bool:
        """Wait until every connection is logged in and its joins resolved (again, after a
        reconnect)."""
        await self._ready.wait()
        return True

    # --- sending ------------------------------------------------------------------------
    async def send_message(self, channel: str, content: str, *, reply_to: str | None = None) -> None:
        """Send a PRIVMSG (a reply with ``reply_to``): queued under the account's send limit
        (more as moderator), never dropped; dispatched back as ``event_message`` with echo=True."""
        if not content or not content.strip():
            raise InvalidContent("a message cannot be empty")
        if len(content) > MAX_MESSAGE_LENGTH:
            raise InvalidContent(f"messages are at most {MAX_MESSAGE_LENGTH} characters, "
                                 f"got {len(content)}")
        if self._irc_token() is None:
            raise NoToken("an anonymous (read-only) login cannot send messages")
        channel = channel.lstrip("#").lower()
        await self._send_limiter.acquire_for(self._moderator.get(channel, False))
        conn = self._pool.connection_for(channel) if self._pool else None
        if conn is None:
            raise ConnectionError("no live connection to send on")
        tags = {"reply-parent-msg-id": reply_to} if reply_to else None
        await conn.send("PRIVMSG", [f"#{channel}", content], tags=tags)
        chan = self._channel(channel)
        self.dispatch("message", Message(None, chan, content=content, echo=True,
                                         author=PartialChatter(self._nick or "", chan)))

    # --- what the pool reports ----------------------------------------------------------
    async def pool_line(self, raw: RawLine) -> None:
        if self.feed_line(raw):
            await self._backpressure()
        gate = self._reading_gate
        if gate is not None and not gate.is_set():
            await gate.wait()

    def feed_line(self, raw: RawLine) -> bool:
        """What the pool does with every line: the raw hooks, then :meth:`dispatch_line` (True:
        ``await drain()`` before the next line). Replay feeds stored lines here."""
        for hook in self._raw_hooks:
            try:
                hook(raw)
            except Exception as exc:  # a hook must not stop reading; report it
                log.exception("raw hook failed")
                self.dispatch("error", exc, raw.line)
        return self.dispatch_line(raw)

    def pool_event(self, event: ConnectionEvent) -> None:
        for hook in self._connection_hooks:
            try:
                hook(event)
            except Exception as exc:
                log.exception("connection hook failed")
                self.dispatch("error", exc, None)
        self.handle_connection_event(event)

    def pool_ready(self, ready: bool) -> None:
        if ready:
            self._ready.set()
            self.dispatch("ready")
        else:
            self._ready.clear()
            self.dispatch("reconnect")

    def __repr__(self) -> str:
        return f"<Client nick={self._nick} channels={len(self.joined_channels)}>"
