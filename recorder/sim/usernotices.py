"""The USERNOTICE family: sub, resub, subgift, submysterygift bursts, raid, announcement, ...

Each builder returns a list of record facts (a mystery gift is one ``submysterygift`` followed by
one ``subgift`` per gifted sub), with the ``msg-param-*`` tags and ``system-msg`` Twitch sends.
"""

from __future__ import annotations

import random
from datetime import datetime, timezone
from typing import Any, Callable

from recorder.sim.chat import random_text, user_tags
from recorder.sim.wire import build_line, find_emotes, format_emotes, seeded_uuid
from recorder.sim.world import SimChannel, SimUser

__all__ = ["USERNOTICE_KINDS", "ANON_GIFTER", "build_usernotice"]

ANON_GIFTER = SimUser(
    id="274598607", login="ananonymousgifter", display_name="AnAnonymousGifter", color="",
    created_at=datetime(2018, 10, 1, tzinfo=timezone.utc),
    broadcaster_type="", type="", description="", profile_image_url="", offline_image_url="",
    view_count=0, activity=0.0)
_PLANS = [("1000", "Tier 1", 0.6), ("2000", "Tier 2", 0.1), ("3000", "Tier 3", 0.05),
          ("Prime", "Prime", 0.25)]

Ctx = dict[str, Any]  # rng, channel, pick (() -> SimUser), now (() -> int ms)


def _plan(rng: random.Random, *, prime: bool = True) -> tuple[str, str]:
    plans = [p for p in _PLANS if prime or p[0] != "Prime"]
    code, tier, _ = rng.choices(plans, weights=[p[2] for p in plans])[0]
    return code, tier


def _fact(ctx: Ctx, user: SimUser, msg_id: str, params: dict[str, str], system_msg: str,
          text: str | None = None) -> dict[str, Any]:
    channel: SimChannel = ctx["channel"]
    rng: random.Random = ctx["rng"]
    sent_at = ctx["now"]()
    emotes = find_emotes(text) if text else []
    tags = user_tags(channel, user)
    tags.update({"emotes": format_emotes(emotes), "flags": "", "id": seeded_uuid(rng),
                 "login": user.login, "msg-id": msg_id, "system-msg": system_msg,
                 "tmi-sent-ts": str(sent_at)})
    tags.update({f"msg-param-{k}": v for k, v in params.items()})
    line = build_line("USERNOTICE", [f"#{channel.login}"], tags=tags, prefix="tmi.twitch.tv",
                      trailing=text)
    return {"kind": "usernotice", "command": "USERNOTICE", "channel": channel.login, "line": line,
            "id": tags["id"], "msg_id": msg_id, "user_id": user.id, "login": user.login,
            "display_name": user.display_name, "text": text, "system_msg": system_msg,
            "params": dict(params), "emotes": emotes, "sent_at": sent_at, "tags": tags}


def _sub(ctx: Ctx) -> list[dict[str, Any]]:
    user, (plan, tier) = ctx["pick"](), _plan(ctx["rng"])
    how = "with Prime" if plan == "Prime" else f"at {tier}"
    params = {"cumulative-months": "1", "months": "0", "multimonth-duration": "1",
              "multimonth-tenure": "0", "should-share-streak": "0", "sub-plan": plan,
              "sub-plan-name": f"Channel Subscription ({ctx['channel'].login})",
              "was-gifted": "false"}
    return [_fact(ctx, user, "sub", params, f"{user.display_name} subscribed {how}.")]


def _resub(ctx: Ctx) -> list[dict[str, Any]]:
    rng = ctx["rng"]
    user, (plan, tier) = ctx["pick"](), _plan(rng)
    months = rng.randint(2, 80)
    how = "with Prime" if plan == "Prime" else f"at {tier}"
    params = {"cumulative-months": str(months), "months": "0", "multimonth-duration": "0",
              "multimonth-tenure": "0", "should-share-streak": "1", "streak-months": str(months // 2 or 1),
              "sub-plan": plan, "sub-plan-name": "Channel Subscription", "was-gifted": "false"}
    text = random_text(rng) if rng.random() < 0.7 else None
    system = f"{user.display_name} subscribed {how}. They've subscribed for {months} months!"
    return [_fact(ctx, user, "resub", params, system, text)]


def _gift_params(ctx: Ctx, recipient: SimUser, plan: str, origin: str) -> dict[str, str]:
    return {"gift-months": "1", "months": str(ctx["rng"].randint(1, 30)), "origin-id": origin,
            "recipient-display-name": recipient.display_name, "recipient-id": recipient.id,
            "recipient-user-name": recipient.login, "sender-count": "0", "sub-plan": plan,
            "sub-plan-name": "Channel Subscription"}


def _gifter(ctx: Ctx) -> SimUser:
    return ANON_GIFTER if ctx["rng"].random() < 0.2 else ctx["pick"]()


def _subgift(ctx: Ctx) -> list[dict[str, Any]]:
    rng, gifter = ctx["rng"], _gifter(ctx)
    plan, tier = _plan(rng, prime=False)
    recipient = ctx["pick"]()
    params = _gift_params(ctx, recipient, plan, str(rng.getrandbits(64)))
    name = "An anonymous user" if gifter is ANON_GIFTER else gifter.display_name
    return [_fact(ctx, gifter, "subgift", params, f"{name} gifted a {tier} sub to {recipient.display_name}!")]


def _submysterygift(ctx: Ctx) -> list[dict[str, Any]]:
    rng, gifter, channel = ctx["rng"], _gifter(ctx), ctx["channel"]
    plan, tier = _plan(rng, prime=False)
    count, origin = rng.choice([1, 5, 5, 10, 20, 50]), str(rng.getrandbits(64))
    name = "An anonymous user" if gifter is ANON_GIFTER else gifter.display_name
    params = {"community-gift-id": origin, "mass-gift-count": str(count), "origin-id": origin,
              "sender-count": str(count * rng.randint(1, 5)), "sub-plan": plan}
    system = f"{name} is gifting {count} {tier} Subs to {channel.broadcaster.display_name}'s community!"
    facts = [_fact(ctx, gifter, "submysterygift", params, system)]
    for _ in range(count):
        recipient = ctx["pick"]()
        gift = _gift_params(ctx, recipient, plan, origin)
        gift["community-gift-id"] = origin
        facts.append(_fact(ctx, gifter, "subgift", gift,
                           f"{name} gifted a {tier} sub to {recipient.display_name}!"))
    return facts


def _raid(ctx: Ctx) -> list[dict[str, Any]]:
    rng, raider = ctx["rng"], ctx["pick"]()
    viewers = rng.randint(1, 5000)
    params = {"displayName": raider.display_name, "login": raider.login,
              "profileImageURL": raider.profile_image_url, "viewerCount": str(viewers)}
    return [_fact(ctx, raider, "raid", params, f"{viewers} raiders from {raider.display_name} have joined!")]


def _announcement(ctx: Ctx) -> list[dict[str, Any]]:
    rng = ctx["rng"]
    user = ctx["channel"].broadcaster if rng.random() < 0.5 else ctx["pick"]()
    params = {"color": rng.choice(["PRIMARY", "BLUE", "GREEN", "ORANGE", "PURPLE"])}
    return [_fact(ctx, user, "announcement", params, "", random_text(rng))]


def _viewermilestone(ctx: Ctx) -> list[dict[str, Any]]:
    rng, user = ctx["rng"], ctx["pick"]()
    value = rng.randint(3, 15)
    params = {"category": "watch-streak", "copoReward": "450", "id": seeded_uuid(rng), "value": str(value)}
    system = f"{user.display_name} watched {value} consecutive streams and sparked a watch streak!"
    return [_fact(ctx, user, "viewermilestone", params, system, random_text(rng) if rng.random() < 0.5 else None)]


def _bitsbadgetier(ctx: Ctx) -> list[dict[str, Any]]:
    rng, user = ctx["rng"], ctx["pick"]()
    params = {"threshold": str(rng.choice([1000, 5000, 10000, 25000]))}
    return [_fact(ctx, user, "bitsbadgetier", params, "bits badge tier notification",
                  random_text(rng) if rng.random() < 0.5 else None)]


def _ritual(ctx: Ctx) -> list[dict[str, Any]]:
    user = ctx["pick"]()
    return [_fact(ctx, user, "ritual", {"ritual-name": "new_chatter"},
                  f"@{user.display_name} is new here. Say hello!", "HeyGuys")]


def _giftpaidupgrade(ctx: Ctx) -> list[dict[str, Any]]:
    user, sender = ctx["pick"](), ctx["pick"]()
    params = {"sender-login": sender.login, "sender-name": sender.display_name}
    system = f"{user.display_name} is continuing the Gift Sub they got from {sender.display_name}!"
    return [_fact(ctx, user, "giftpaidupgrade", params, system)]


USERNOTICE_KINDS: dict[str, tuple[Callable[[Ctx], list[dict[str, Any]]], float]] = {
    "sub": (_sub, 0.22), "resub": (_resub, 0.25), "subgift": (_subgift, 0.12),
    "submysterygift": (_submysterygift, 0.06), "raid": (_raid, 0.06),
    "announcement": (_announcement, 0.08), "viewermilestone": (_viewermilestone, 0.08),
    "bitsbadgetier": (_bitsbadgetier, 0.04), "ritual": (_ritual, 0.05),
    "giftpaidupgrade": (_giftpaidupgrade, 0.04),
}


def build_usernotice(ctx: Ctx, msg_id: str | None = None) -> list[dict[str, Any]]:
    """Facts of one USERNOTICE event of kind ``msg_id`` (drawn by weight when None)."""
    if msg_id is None:
        names = list(USERNOTICE_KINDS)
        msg_id = ctx["rng"].choices(names, weights=[USERNOTICE_KINDS[n][1] for n in names])[0]
    return USERNOTICE_KINDS[msg_id][0](ctx)
