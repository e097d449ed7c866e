"""Small wire helpers of the simulator: IRCv3 tag escaping, line building, seeded ids.

Written independently of ``recorder.client.irc`` on purpose: the simulator shares only the wire
protocol with the client, so a bug in one is caught by the other.
"""

from __future__ import annotations

import random
import uuid
from typing import Mapping

__all__ = ["escape_tag", "build_line", "seeded_uuid", "user_prefix", "strip_tags", "line_command",
           "EMOTES", "find_emotes", "format_emotes"]

_ESCAPES = {"\\": "\\\\", ";": "\\:", " ": "\\s", "\r": "\\r", "\n": "\\n"}

# A small emote table (id, code) in the style of Twitch's global emotes.
EMOTES: dict[str, str] = {
    "Kappa": "25", "Keepo": "1902", "PogChamp": "305954156", "LUL": "425618", "4Head": "354",
    "BibleThump": "86", "HeyGuys": "30259", "SeemsGood": "64138", "VoHiYo": "81274",
    "NotLikeThis": "58765", "ResidentSleeper": "245", "Kreygasm": "41", "bleedPurple": "62835",
    "CoolCat": "58127", "TriHard": "120232",
}


def escape_tag(value: str) -> str:
    """IRCv3 tag value escaping: ``\\`` ``;`` space CR LF become ``\\\\`` ``\\:`` ``\\s`` ``\\r`` ``\\n``."""
    return "".join(_ESCAPES.get(ch, ch) for ch in value)


def build_line(command: str, params: list[str] | tuple[str, ...] = (), *,
               tags: Mapping[str, str] | None = None, prefix: str | None = None,
               trailing: str | None = None) -> str:
    """One IRC line without CRLF; tags are escaped and emitted in key order, like Twitch."""
    parts: list[str] = []
    if tags:
        parts.append("@" + ";".join(f"{k}={escape_tag(str(v))}" for k, v in sorted(tags.items())))
    if prefix:
        parts.append(":" + prefix)
    parts.append(command)
    parts.extend(params)
    if trailing is not None:
        parts.append(":" + trailing)
    return " ".join(parts)


def strip_tags(line: str) -> str:
    """The line without its ``@tags`` part (what a client without twitch.tv/tags receives)."""
    if line.startswith("@"):
        space = line.find(" ")
        return line[space + 1:] if space != -1 else line
    return line


def line_command(line: str) -> str:
    """The command word of a well-formed line (tags and prefix skipped); '' if there is none."""
    words = strip_tags(line).split(" ")
    if words and words[0].startswith(":"):
        words = words[1:]
    return words[0] if words else ""


def seeded_uuid(rng: random.Random) -> str:
    """A version-4 UUID string drawn from ``rng`` (never from the OS), for reproducible ids."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def user_prefix(login: str) -> str:
    """The ``nick!user@host`` prefix Twitch puts on a user's lines."""
    return f"{login}!{login}@{login}.tmi.twitch.tv"


def find_emotes(text: str) -> list[dict[str, object]]:
    """Emotes in ``text`` as ``{id, name, start, end}`` with inclusive CODE-POINT indices."""
    found: list[dict[str, object]] = []
    pos = 0
    for word in text.split(" "):
        if word in EMOTES:
            found.append({"id": EMOTES[word], "name": word, "start": pos, "end": pos + len(word) - 1})
        pos += len(word) + 1
    return found


def format_emotes(emotes: list[dict[str, object]]) -> str:
    """The ``emotes`` tag value: ``25:0-4,12-16/1902:6-10`` (grouped by id, first-seen order)."""
    groups: dict[str, list[str]] = {}
    for emote in emotes:
        groups.setdefault(str(emote["id"]), []).append(f"{emote['start']}-{emote['end']}")
    return "/".join(f"{emote_id}:{','.join(ranges)}" for emote_id, ranges in groups.items())
