"""The data contract: every table users query, as SQLAlchemy Core.

Names here are API (see ``shared/DESIGN.md``); change them only together with a migration in
``migrations/versions``. A test upgrades an empty database to head and checks that Alembic's
autogenerate finds no difference from this module, on SQLite and on PostgreSQL.

Conventions:
- Twitch ids (user, room, message, stream, game) are TEXT.
- Times are timezone-aware UTC (:class:`UTCDateTime` makes SQLite give them back aware).
- JSON columns hold dicts or lists (JSONB on PostgreSQL).
- ``raw_lines`` is the append-only event log with one global monotonic ``id``; every projection
  row carries ``raw_line_id``, a foreign key to the line it came from.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator):
    """``DateTime(timezone=True)`` that only accepts aware datetimes and returns aware UTC.

    PostgreSQL stores ``timestamptz``; SQLite stores the UTC wall time and the value is marked
    UTC again on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: times must be timezone-aware")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


#: JSON everywhere, JSONB on PostgreSQL.
JSONType = JSON().with_variant(JSONB(), "postgresql")
#: A 64-bit autoincrement key (SQLite needs INTEGER for its rowid alias).
BigID = BigInteger().with_variant(Integer(), "sqlite")


def _id() -> Column:
    return Column("id", BigID, primary_key=True, autoincrement=True)


def _raw_line_id() -> Column:
    return Column("raw_line_id", BigID, ForeignKey("raw_lines.id"), nullable=False, index=True)


def _time(name: str, nullable: bool = True) -> Column:
    return Column(name, UTCDateTime(), nullable=nullable)


# --- sessions and the event log -------------------------------------------------------------

sessions = Table(
    "sessions", metadata, _id(),
    _time("started_at", nullable=False), _time("ended_at"),
    Column("server_url", Text), Column("nick", Text), Column("version", Text),
)

connection_events = Table(
    "connection_events", metadata, _id(),
    Column("session_id", BigID, ForeignKey("sessions.id"), index=True),
    _time("at", nullable=False),
    Column("kind", Text, nullable=False), Column("channel", Text), Column("detail", Text),
    Index("ix_connection_events_channel_at", "channel", "at"),
)

raw_lines = Table(
    "raw_lines", metadata, _id(),
    Column("session_id", BigID, ForeignKey("sessions.id")),
    _time("received_at", nullable=False),
    Column("channel", Text), Column("command", Text),
    Column("line", Text, nullable=False), Column("parse_error", Text),
    Index("ix_raw_lines_channel_received_at", "channel", "received_at"),
    Index("ix_raw_lines_received_at", "received_at"),
    sqlite_autoincrement=True,  # ids are never reused, even after a delete
)

# --- projections (rebuildable from raw_lines) -----------------------------------------------

messages = Table(
    "messages", metadata,
    Column("id", Text, primary_key=True), _raw_line_id(),
    Column("channel", Text, nullable=False), Column("room_id", Text), Column("user_id", Text),
    Column("login", Text), Column("display_name", Text), Column("text", Text),
    Column("is_action", Boolean), _time("sent_at"), _time("received_at", nullable=False),
    Column("bits", Integer), Column("color", Text),
    Column("badges", JSONType), Column("badge_info", JSONType), Column("emotes", JSONType),
    Column("is_first_msg", Boolean), Column("is_mod", Boolean), Column("is_subscriber", Boolean),
    Column("reply_parent_msg_id", Text), Column("reply_parent_login", Text),
    Column("custom_reward_id", Text), Column("source_room_id", Text), Column("tags", JSONType),
    Index("ix_messages_channel_sent_at", "channel", "sent_at"),
    Index("ix_messages_user_id", "user_id"),
    Index("ix_messages_login", "login"),
)

usernotices = Table(
    "usernotices", metadata,
    Column("id", Text, primary_key=True), _raw_line_id(),
    Column("channel", Text, nullable=False), Column("room_id", Text), Column("msg_id", Text),
    Column("user_id", Text), Column("login", Text), Column("display_name", Text),
    Column("system_msg", Text), Column("text", Text),
    _time("sent_at"), _time("received_at", nullable=False),
    Column("params", JSONType), Column("tags", JSONType),
    Index("ix_usernotices_channel_sent_at", "channel", "sent_at"),
    Index("ix_usernotices_msg_id", "msg_id"),
    Index("ix_usernotices_user_id", "user_id"),
)

moderation_events = Table(
    "moderation_events", metadata, _id(), _raw_line_id(),
    Column("channel", Text, nullable=False), Column("room_id", Text),
    Column("kind", Text, nullable=False),
    Column("target_user_id", Text), Column("target_login", Text), Column("duration_s", Integer),
    Column("target_message_id", Text), Column("target_text", Text),
    _time("at"), _time("received_at", nullable=False),
    Index("ix_moderation_events_channel_at", "channel", "at"),
    Index("ix_moderation_events_target_user_id", "target_user_id"),
)

membership_events = Table(
    "membership_events", metadata, _id(), _raw_line_id(),
    Column("channel", Text, nullable=False), Column("login", Text),
    Column("kind", Text, nullable=False), _time("received_at", nullable=False),
    Index("ix_membership_events_channel_received_at", "channel", "received_at"),
)

notices = Table(
    "notices", metadata, _id(), _raw_line_id(),
    Column("channel", Text), Column("msg_id", Text), Column("text", Text),
    Column("target_user_id", Text), _time("received_at", nullable=False),
    Index("ix_notices_channel_received_at", "channel", "received_at"),
)

room_states = Table(
    "room_states", metadata, _id(), _raw_line_id(),
    Column("channel", Text, nullable=False), Column("room_id", Text),
    Column("emote_only", Integer), Column("followers_only", Integer), Column("r9k", Integer),
    Column("slow", Integer), Column("subs_only", Integer),
    _time("received_at", nullable=False),
    Index("ix_room_states_channel_received_at", "channel", "received_at"),
)

user_states = Table(
    "user_states", metadata, _id(), _raw_line_id(),
    Column("channel", Text), Column("kind", Text, nullable=False),
    Column("user_id", Text), Column("login", Text), Column("display_name", Text),
    Column("badges", JSONType), Column("badge_info", JSONType), Column("color", Text),
    Column("emote_sets", JSONType), Column("is_mod", Boolean),
    _time("received_at", nullable=False),
)

whispers = Table(
    "whispers", metadata, _id(), _raw_line_id(),
    Column("message_id", Text), Column("thread_id", Text),
    Column("from_user_id", Text), Column("from_login", Text), Column("display_name", Text),
    Column("to_login", Text), Column("text", Text),
    Column("badges", JSONType), Column("color", Text), Column("emotes", JSONType),
    _time("received_at", nullable=False),
    UniqueConstraint("message_id"),
    Index("ix_whispers_thread_id", "thread_id"),
)

emote_usages = Table(
    "emote_usages", metadata,
    Column("message_id", Text, nullable=False), Column("emote_id", Text, nullable=False),
    _raw_line_id(),
    Column("channel", Text, nullable=False), Column("emote_name", Text),
    _time("sent_at"), Column("count", Integer, nullable=False),
    PrimaryKeyConstraint("message_id", "emote_id"),
    Index("ix_emote_usages_channel_sent_at", "channel", "sent_at"),
    Index("ix_emote_usages_emote_id", "emote_id"),
)

projection_state = Table(
    "projection_state", metadata,
    Column("name", Text, primary_key=True),
    Column("last_raw_line_id", BigInteger, nullable=False),
    _time("updated_at"),
)

# --- enrichment snapshots (Helix) -----------------------------------------------------------

users = Table(
    "users", metadata,
    Column("id", Text, primary_key=True), Column("login", Text), Column("display_name", Text),
    Column("type", Text), Column("broadcaster_type", Text), Column("description", Text),
    Column("profile_image_url", Text), Column("offline_image_url", Text),
    _time("created_at"), _time("fetched_at", nullable=False),
    Index("ix_users_login", "login"),
)

user_name_history = Table(
    "user_name_history", metadata, _id(),
    Column("user_id", Text, nullable=False), Column("login", Text), Column("display_name", Text),
    _time("first_seen_at", nullable=False), _time("last_seen_at", nullable=False),
    Index("ix_user_name_history_user_id", "user_id"),
    Index("ix_user_name_history_login", "login"),
)

channels = Table(
    "channels", metadata,
    Column("broadcaster_id", Text, primary_key=True), Column("login", Text),
    Column("title", Text), Column("game_id", Text), Column("game_name", Text),
    Column("language", Text), Column("tags", JSONType), _time("fetched_at", nullable=False),
    Index("ix_channels_login", "login"),
)

channel_history = Table(
    "channel_history", metadata, _id(),
    Column("broadcaster_id", Text, nullable=False),
    Column("title", Text), Column("game_id", Text), Column("game_name", Text),
    Column("language", Text), Column("tags", JSONType), _time("fetched_at", nullable=False),
    Index("ix_channel_history_broadcaster_id_fetched_at", "broadcaster_id", "fetched_at"),
)

stream_snapshots = Table(
    "stream_snapshots", metadata, _id(),
    Column("channel", Text, nullable=False), Column("user_id", Text), Column("stream_id", Text),
    Column("live", Boolean, nullable=False), Column("viewer_count", Integer),
    Column("game_id", Text), Column("game_name", Text), Column("title", Text),
    _time("started_at"), Column("language", Text), _time("fetched_at", nullable=False),
    Index("ix_stream_snapshots_channel_fetched_at", "channel", "fetched_at"),
)

games = Table(
    "games", metadata,
    Column("id", Text, primary_key=True), Column("name", Text), Column("box_art_url", Text),
    Column("igdb_id", Text), _time("fetched_at", nullable=False),
)

# --- privacy (recorder forget) ---------------------------------------------------------------

forgotten_users = Table(
    "forgotten_users", metadata,
    Column("user_id", Text), Column("login", Text), _time("forgotten_at", nullable=False),
    UniqueConstraint("user_id", "login"),
)
"""Users whose lines ``recorder run --keep-forgetting`` drops before storing them."""

forget_audit = Table(
    "forget_audit", metadata, _id(),
    _time("at", nullable=False), Column("actor", Text), Column("user_id", Text),
    Column("login", Text), Column("counts", JSONType, nullable=False),
    Column("keep_forgetting", Boolean, nullable=False),
)
"""One row per ``recorder forget``: who ran it, when, rows deleted per table; never content."""

#: Projection tables (rows derived from raw_lines), in a safe order to insert and to rebuild.
PROJECTION_TABLES: tuple[str, ...] = (
    "messages", "usernotices", "moderation_events", "membership_events", "notices",
    "room_states", "user_states", "whispers", "emote_usages",
)

#: Projection table -> its time (aware datetime) columns.
TIME_COLUMNS: dict[str, tuple[str, ...]] = {
    name: tuple(c.name for c in metadata.tables[name].c if isinstance(c.type, UTCDateTime))
    for name in PROJECTION_TABLES
}

#: Columns of the unique key each deduplicated projection table is inserted against
#: (``INSERT ... ON CONFLICT (cols) DO NOTHING``); tables not listed are plain inserts.
CONFLICT_KEYS: dict[str, tuple[str, ...]] = {
    "messages": ("id",),
    "usernotices": ("id",),
    "whispers": ("message_id",),
    "emote_usages": ("message_id", "emote_id"),
}
