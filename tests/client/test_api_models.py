"""The Helix models: missing fields tolerated, times as aware UTC, raw kept, TwitchIO's names."""

from __future__ import annotations

import inspect
from datetime import datetime, timezone

import pytest
import twitchio
from twitchio import models as tio_models
from twitchio import user as tio_user

from recorder.client import helix_models as m
from recorder.client.api import HelixAPI

BUILDERS = {
    m.User: lambda d: m.User(None, d), m.SearchUser: lambda d: m.SearchUser(None, d),
    m.ChatterColor: lambda d: m.ChatterColor(None, d), m.ChannelInfo: lambda d: m.ChannelInfo(None, d),
    m.Stream: lambda d: m.Stream(None, d), m.Game: m.Game, m.Video: lambda d: m.Video(None, d),
    m.Clip: lambda d: m.Clip(None, d), m.CheerEmote: lambda d: m.CheerEmote(None, d),
    m.GlobalEmote: lambda d: m.GlobalEmote(None, d), m.ChatBadge: m.ChatBadge, m.Team: lambda d: m.Team(None, d),
    m.Tag: m.Tag, m.WebhookSubscription: m.WebhookSubscription, m.EventSubSubscription: m.EventSubSubscription,
}
TWITCHIO = {
    m.User: tio_user.User, m.SearchUser: tio_user.SearchUser, m.ChatterColor: tio_models.ChatterColor,
    m.ChannelInfo: tio_models.ChannelInfo, m.Stream: tio_models.Stream, m.Game: tio_models.Game,
    m.Video: tio_models.Video, m.Clip: tio_models.Clip, m.CheerEmote: tio_models.CheerEmote,
    m.GlobalEmote: tio_models.GlobalEmote, m.ChatBadge: tio_models.ChatBadge, m.Team: tio_models.Team,
    m.Tag: tio_models.Tag, m.WebhookSubscription: tio_models.WebhookSubscription,
}


def _public_slots(cls: type) -> set[str]:
    names: set[str] = set()
    for klass in cls.__mro__:
        names |= {s for s in getattr(klass, "__slots__", ()) if not s.startswith("_")}
    return names


@pytest.mark.parametrize("cls", list(BUILDERS), ids=lambda c: c.__name__)
def test_models_tolerate_an_empty_dict(cls: type) -> None:
    model = BUILDERS[cls]({})
    assert model.raw == {}
    for name in _public_slots(cls):
        getattr(model, name)  # every attribute exists
    repr(model)


@pytest.mark.parametrize("cls", list(TWITCHIO), ids=lambda c: c.__name__)
def test_models_have_every_public_attribute_of_twitchio(cls: type) -> None:
    missing = _public_slots(TWITCHIO[cls]) - _public_slots(cls)
    assert not missing


def test_api_methods_accept_the_reference_arguments() -> None:
    for name in ["fetch_channel", "fetch_channels", "fetch_chatters_colors", "fetch_cheermotes",
                 "fetch_clips", "fetch_games", "fetch_global_chat_badges", "fetch_global_emotes",
                 "fetch_streams", "fetch_tags", "fetch_teams", "fetch_top_games", "fetch_users",
                 "fetch_videos", "delete_videos", "update_chatter_color", "search_categories",
                 "search_channels", "get_webhook_subscriptions", "create_user", "event_token_expired"]:
        ours = inspect.signature(getattr(HelixAPI, name)).parameters
        theirs = inspect.signature(getattr(twitchio.Client, name)).parameters
        assert list(ours)[: len(theirs)] == list(theirs), name
        assert all(ours[p].kind == theirs[p].kind for p in theirs), name


@pytest.mark.parametrize("text, expected", [
    ("2021-03-10T15:04:21Z", datetime(2021, 3, 10, 15, 4, 21, tzinfo=timezone.utc)),
    ("2021-03-10T15:04:21.123456789Z", datetime(2021, 3, 10, 15, 4, 21, 123456, tzinfo=timezone.utc)),
    ("2019-02-11 12:09:22 +0000 UTC", datetime(2019, 2, 11, 12, 9, 22, tzinfo=timezone.utc)),
    ("2021-03-10T17:04:21+02:00", datetime(2021, 3, 10, 15, 4, 21, tzinfo=timezone.utc)),
    ("", None), (None, None), ("not a time", None),
])
def test_parse_time(text: str | None, expected: datetime | None) -> None:
    parsed = m.parse_time(text)
    assert parsed == expected
    assert parsed is None or parsed.tzinfo == timezone.utc


def test_user_fields_and_unknown_enum_values() -> None:
    user = m.User(None, {"id": "123", "login": "abc", "type": "martian", "broadcaster_type": "partner",
                         "created_at": "2020-01-01T00:00:00Z", "view_count": 7})
    assert (user.id, user.name, user.view_count) == (123, "abc", 7)
    assert user.type is m.UserTypeEnum.none and user.broadcaster_type is m.BroadcasterTypeEnum.partner
    assert user.created_at == datetime(2020, 1, 1, tzinfo=timezone.utc)
    assert user == m.PartialUser(None, 123, "abc")


async def test_partial_user_without_api_says_so() -> None:
    with pytest.raises(RuntimeError):
        await m.PartialUser(None, 1, "x").fetch()
