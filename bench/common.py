"""Shared benchmark helpers: a seeded, realistic mix of Twitch IRC lines, and result files."""
from __future__ import annotations

import json
import os
import random
import time
import uuid
from pathlib import Path
from typing import Callable

RESULTS = Path(__file__).parent / "results"

_WORDS = ("hello chat lol KEKW this is so good what did he just do pog no way gg wp "
          "the stream is lagging again can we get some hype in the chat today").split()
_EMOTES = [("25", "Kappa"), ("1902", "Keepo"), ("88", "PogChamp"), ("305954156", "PogChamp"),
           ("emotesv2_e02650d7", "catJAM")]
_EMOJI = ["😂", "🔥", "❤️", "👀"]


def _esc(value: str) -> str:
    return (value.replace("\\", "\\\\").replace(";", "\\:").replace(" ", "\\s")
            .replace("\r", "\\r").replace("\n", "\\n"))


def _rss_kb(pid: int | str) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:  # gone meanwhile
        pass
    return 0


def child_pids(pid: int | str) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return found


def rss_mb(pid: int | None = None) -> float:
    """RSS of process ``pid`` (default: this one) and all its descendants (the recorder's
    SQLite writer process, multiprocessing's resource tracker) in MiB."""
    total, todo = 0, [os.getpid() if pid is None else pid]
    while todo:
        pid = todo.pop()
        total += _rss_kb(pid)
        todo += child_pids(pid)
    return total / 1024


def realistic_lines(count: int, seed: int = 7, channels: int = 20) -> list[str]:
    """``count`` distinct lines: ~85% PRIVMSG (emotes, emoji, replies, bits, /me), the rest the
    USERNOTICE family, CLEARCHAT, CLEARMSG, ROOMSTATE, USERSTATE, JOIN/PART, NOTICE and PING."""
    rng = random.Random(seed)
    chans = [f"channel{i}" for i in range(channels)]
    users = [(str(10_000_000 + i), f"viewer_{i}") for i in range(5_000)]
    lines: list[str] = []
    ts = 1_700_000_000_000
    seen: set[str] = set()
    n = 0
    while len(lines) < count:
        n += 1
        ts += rng.randint(1, 400)
        line = _one_line(rng, n, ts, chans, users)
        if line not in seen:  # JOIN/PART can repeat; every line is distinct
            seen.add(line)
            lines.append(line)
    return lines


def _one_line(rng: random.Random, n: int, ts: int, chans: list[str], users: list[tuple[str, str]]) -> str:
    chan = rng.choice(chans)
    room = str(1000 + chans.index(chan))
    uid, login = users[min(int(rng.paretovariate(1.2)) - 1, len(users) - 1) if rng.random() < 0.5 else rng.randrange(len(users))]
    roll = rng.random()
    mid = str(uuid.UUID(int=rng.getrandbits(128)))
    if roll < 0.85:
        return (_privmsg(rng, chan, room, uid, login, mid, ts))
    elif roll < 0.90:
        kind = rng.choice(["sub", "resub", "subgift", "raid", "announcement"])
        sysmsg = _esc(f"{login} did a {kind} thing!")
        return (
            f"@badge-info=subscriber/{rng.randint(1, 40)};badges=subscriber/12,premium/1;color=#1E90FF;"
            f"display-name={login};emotes=;flags=;id={mid};login={login};mod=0;msg-id={kind};"
            f"msg-param-cumulative-months={rng.randint(1, 40)};msg-param-months=0;"
            f"msg-param-should-share-streak=0;msg-param-sub-plan-name=Channel\\sSubscription;"
            f"msg-param-sub-plan=1000;room-id={room};subscriber=1;system-msg={sysmsg};"
            f"tmi-sent-ts={ts};user-id={uid};user-type= :tmi.twitch.tv USERNOTICE #{chan} :{_text(rng)}")
    elif roll < 0.92:
        dur = f"ban-duration={rng.choice([60, 600, 86400])};" if rng.random() < 0.7 else ""
        return (f"@{dur}room-id={room};target-user-id={uid};tmi-sent-ts={ts} "
                     f":tmi.twitch.tv CLEARCHAT #{chan} :{login}")
    elif roll < 0.93:
        return (f"@login={login};room-id=;target-msg-id={mid};tmi-sent-ts={ts} "
                     f":tmi.twitch.tv CLEARMSG #{chan} :{_text(rng)}")
    elif roll < 0.94:
        return (f"@room-id={room};slow={rng.choice([0, 3, 10, 30])} :tmi.twitch.tv ROOMSTATE #{chan}")
    elif roll < 0.98:
        verb = rng.choice(["JOIN", "PART"])
        return (f":{login}!{login}@{login}.tmi.twitch.tv {verb} #{chan}")
    elif roll < 0.99:
        return (f"@msg-id=slow_on :tmi.twitch.tv NOTICE #{chan} :This room is now in slow mode. ({n})")
    else:
        return (f"PING :tmi.twitch.tv{n}")



def _text(rng: random.Random) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(rng.randint(1, 14)))


def _privmsg(rng, chan, room, uid, login, mid, ts) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(1, 16))]
    emotes: dict[str, list[str]] = {}
    if rng.random() < 0.3:
        words.insert(0, rng.choice(_EMOJI))
    if rng.random() < 0.4:
        for _ in range(rng.randint(1, 3)):
            eid, name = rng.choice(_EMOTES)
            words.insert(rng.randrange(len(words) + 1), name)
    text = " ".join(words)
    pos = 0
    for word in words:
        for eid, name in _EMOTES:
            if word == name:
                emotes.setdefault(eid, []).append(f"{pos}-{pos + len(word) - 1}")
                break
        pos += len(word) + 1
    emote_tag = "/".join(f"{k}:{','.join(v)}" for k, v in emotes.items())
    extra = ""
    if rng.random() < 0.05:
        extra += f"bits={rng.choice([1, 100, 500])};"
    if rng.random() < 0.08:
        extra += (f"reply-parent-display-name=Someone;reply-parent-msg-body={_esc(_text(rng))};"
                  f"reply-parent-msg-id={uuid.UUID(int=rng.getrandbits(128))};reply-parent-user-id=42;"
                  f"reply-parent-user-login=someone;")
    if rng.random() < 0.03:
        text = f"\x01ACTION {text}\x01"
    sub = rng.random() < 0.4
    badges = "subscriber/12,premium/1" if sub else rng.choice(["", "glhf-pledge/1", "moderator/1"])
    return (f"@badge-info={'subscriber/14' if sub else ''};badges={badges};client-nonce={mid[:8]};"
            f"color=#{rng.randrange(0xFFFFFF):06X};display-name={login.capitalize()};emotes={emote_tag};"
            f"first-msg={int(rng.random() < 0.02)};flags=;id={mid};mod={int('moderator' in badges)};"
            f"returning-chatter=0;room-id={room};subscriber={int(sub)};tmi-sent-ts={ts};turbo=0;"
            f"user-id={uid};user-type={extra and ''};{extra}vip=0 "
            f":{login}!{login}@{login}.tmi.twitch.tv PRIVMSG #{chan} :{text}")


def best_rate(func: Callable[[], int], repeat: int = 5) -> float:
    """Items per second of the best of ``repeat`` runs (``func`` returns its item count)."""
    best = 0.0
    for _ in range(repeat):
        start = time.perf_counter()
        items = func()
        elapsed = time.perf_counter() - start
        best = max(best, items / elapsed)
    return best


def save(name: str, result: dict) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(result, indent=2, sort_keys=True))
    return path
