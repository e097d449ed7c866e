"""Building blocks of chat lines: message texts, user tags, and the PRIVMSG a user sends.

Shared by the traffic generator and by the IRC server (which relays client PRIVMSGs with the
tags Twitch adds). Pure functions of their arguments (and of the ``rng`` they are given).
"""

from __future__ import annotations

import hashlib
import random
from typing import Any

from recorder.sim.wire import EMOTES, build_line, find_emotes, format_emotes, user_prefix
from recorder.sim.world import SimChannel, SimUser

__all__ = ["random_text", "user_badges", "user_tags", "privmsg_fact"]

_WORDS = ["lol", "gg", "nice", "what", "is", "this", "game", "wp", "true", "chat", "no", "way",
          "omg", "that", "was", "clean", "hi", "hello", "first", "time", "here", "love", "the",
          "music", "?", "!!", "bro", "insane", "clip", "it", "KEKW", "based", "ratio", "W", "L",
          "monkaS", "letsgo", "pog", "wait", "for", "run", "again", "how", "did", "you", "do",
          "Grüße", "日本語", "café", "naïve", "x=y", "a;b", "back\\slash", "ok"]
# Emoji of one and of several code points (variation selector, skin tone, ZWJ family).
_EMOJI = ["😂", "❤️", "👍🏽", "🔥", "👨‍👩‍👧", "🎉", "😭", "✨"]


def random_text(rng: random.Random, *, emote_rate: float = 0.2) -> str:
    """A chat message: words, emotes and emoji, 1 to 14 tokens (never longer than 500)."""
    if rng.random() < 0.05:
        return rng.choice(_EMOJI) + " " + rng.choice(list(EMOTES))  # e.g. "😂 Kappa"
    tokens = []
    for _ in range(rng.randint(1, 14)):
        roll = rng.random()
        if roll < emote_rate:
            tokens.append(rng.choice(list(EMOTES)))
        elif roll < emote_rate + 0.07:
            tokens.append(rng.choice(_EMOJI))
        else:
            tokens.append(rng.choice(_WORDS))
    return " ".join(tokens)[:500].rstrip() or "hi"


def _user_hash(channel: SimChannel, user: SimUser) -> int:
    return int.from_bytes(hashlib.sha256(f"{channel.login}:{user.id}".encode()).digest()[:4], "big")


def user_badges(channel: SimChannel, user: SimUser) -> tuple[str, str, bool, bool]:
    """``(badge-info, badges, is_mod, is_subscriber)`` of ``user`` in ``channel`` (stable)."""
    h = _user_hash(channel, user)
    badges: list[str] = []
    info = ""
    is_mod = user.id != channel.broadcaster.id and h % 23 == 0
    months = h % 40 if h % 3 == 0 else 0
    if user.id == channel.broadcaster.id:
        badges.append("broadcaster/1")
    if is_mod:
        badges.append("moderator/1")
    if user.type == "staff":
        badges.append("staff/1")
    if months:
        tier = "3000" if months > 36 else "2000" if months > 30 else "0"
        version = next(v for v in (24, 12, 9, 6, 3, 2, 1, 0) if months >= v)
        badges.append(f"subscriber/{tier}{version}" if tier != "0" else f"subscriber/{version}")
        info = f"subscriber/{months}"
    if h % 7 == 0:
        badges.append("premium/1")
    if h % 11 == 0:
        badges.append(f"bits/{(100, 1000, 5000)[h % 3]}")
    return info, ",".join(badges), is_mod, bool(months)


def user_tags(channel: SimChannel, user: SimUser) -> dict[str, str]:
    """The user-describing tags Twitch puts on a user's PRIVMSG / USERNOTICE in ``channel``."""
    info, badges, is_mod, is_sub = user_badges(channel, user)
    return {
        "badge-info": info, "badges": badges, "color": user.color,
        "display-name": user.display_name, "mod": "1" if is_mod else "0",
        "room-id": channel.broadcaster.id, "subscriber": "1" if is_sub else "0",
        "turbo": "0", "user-id": user.id, "user-type": user.type,
    }


def privmsg_fact(channel: SimChannel, user: SimUser, text: str, *, msg_id: str, sent_at: int,
                 is_action: bool = False, first_msg: bool = False, bits: int = 0,
                 reply_to: dict[str, Any] | None = None, custom_reward_id: str = "",
                 extra_tags: dict[str, str] | None = None) -> dict[str, Any]:
    """The PRIVMSG line of ``user`` saying ``text`` in ``channel``, as a record fact."""
    body = text
    if reply_to is not None and not text.startswith("@"):
        body = f"@{reply_to['login']} {text}"
    emotes = find_emotes(body)
    tags = user_tags(channel, user)
    tags.update({"emotes": format_emotes(emotes), "first-msg": "1" if first_msg else "0",
                 "flags": "", "id": msg_id, "returning-chatter": "0", "tmi-sent-ts": str(sent_at)})
    if bits:
        tags["bits"] = str(bits)
    if custom_reward_id:
        tags["custom-reward-id"] = custom_reward_id
    if reply_to is not None:
        thread = reply_to.get("thread") or reply_to
        tags.update({
            "reply-parent-display-name": reply_to["display_name"],
            "reply-parent-msg-body": reply_to["text"], "reply-parent-msg-id": reply_to["id"],
            "reply-parent-user-id": reply_to["user_id"], "reply-parent-user-login": reply_to["login"],
            "reply-thread-parent-display-name": thread["display_name"],
            "reply-thread-parent-msg-id": thread["id"],
            "reply-thread-parent-user-id": thread["user_id"],
            "reply-thread-parent-user-login": thread["login"],
        })
    tags.update(extra_tags or {})
    trailing = f"\x01ACTION {body}\x01" if is_action else body
    line = build_line("PRIVMSG", [f"#{channel.login}"], tags=tags, prefix=user_prefix(user.login),
                      trailing=trailing)
    return {
        "kind": "privmsg", "command": "PRIVMSG", "channel": channel.login, "line": line,
        "id": msg_id, "user_id": user.id, "login": user.login, "display_name": user.display_name,
        "text": body, "is_action": is_action, "emotes": emotes, "bits": bits,
        "first_msg": first_msg, "reply_parent_msg_id": reply_to["id"] if reply_to else None,
        "reply_parent_login": reply_to["login"] if reply_to else None,
        "custom_reward_id": custom_reward_id or None, "sent_at": sent_at, "tags": tags,
    }
