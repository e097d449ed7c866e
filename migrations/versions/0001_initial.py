"""Initial schema: the data contract of shared/DESIGN.md (event log, projections, enrichment).

Revision ID: 0001
Revises: 
Create Date: 2026-11-28 10:16:51.398224
"""
from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0001'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('channel_history',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('broadcaster_id', sa.Text(), nullable=False),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('game_id', sa.Text(), nullable=True),
    sa.Column('game_name', sa.Text(), nullable=True),
    sa.Column('language', sa.Text(), nullable=True),
    sa.Column('tags', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=True),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_history'))
    )
    op.create_index('ix_channel_history_broadcaster_id_fetched_at', 'channel_history', ['broadcaster_id', 'fetched_at'], unique=False)

    op.create_table('channels',
    sa.Column('broadcaster_id', sa.Text(), nullable=False),
    sa.Column('login', sa.Text(), nullable=True),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('game_id', sa.Text(), nullable=True),
    sa.Column('game_name', sa.Text(), nullable=True),
    sa.Column('language', sa.Text(), nullable=True),
    sa.Column('tags', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=True),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('broadcaster_id', name=op.f('pk_channels'))
    )
    op.create_index('ix_channels_login', 'channels', ['login'], unique=False)

    op.create_table('games',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('box_art_url', sa.Text(), nullable=True),
    sa.Column('igdb_id', sa.Text(), nullable=True),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_games'))
    )

    op.create_table('projection_state',
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('last_raw_line_id', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_projection_state'))
    )

    op.create_table('sessions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('server_url', sa.Text(), nullable=True),
    sa.Column('nick', sa.Text(), nullable=True),
    sa.Column('version', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sessions'))
    )

    op.create_table('stream_snapshots',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('channel', sa.Text(), nullable=False),
    sa.Column('user_id', sa.Text(), nullable=True),
    sa.Column('stream_id', sa.Text(), nullable=True),
    sa.Column('live', sa.Boolean(), nullable=False),
    sa.Column('viewer_count', sa.Integer(), nullable=True),
    sa.Column('game_id', sa.Text(), nullable=True),
    sa.Column('game_name', sa.Text(), nullable=True),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('language', sa.Text(), nullable=True),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stream_snapshots'))
    )
    op.create_index('ix_stream_snapshots_channel_fetched_at', 'stream_snapshots', ['channel', 'fetched_at'], unique=False)

    op.create_table('user_name_history',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.Text(), nullable=False),
    sa.Column('login', sa.Text(), nullable=True),
    sa.Column('display_name', sa.Text(), nullable=True),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_name_history'))
    )
    op.create_index('ix_user_name_history_login', 'user_name_history', ['login'], unique=False)
    op.create_index('ix_user_name_history_user_id', 'user_name_history', ['user_id'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('login', sa.Text(), nullable=True),
    sa.Column('display_name', sa.Text(), nullable=True),
    sa.Column('type', sa.Text(), nullable=True),
    sa.Column('broadcaster_type', sa.Text(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('profile_image_url', sa.Text(), nullable=True),
    sa.Column('offline_image_url', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users'))
    )
    op.create_index('ix_users_login', 'users', ['login'], unique=False)

    op.create_table('connection_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('session_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('channel', sa.Text(), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], name=op.f('fk_connection_events_session_id_sessions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_connection_events'))
    )
    op.create_index('ix_connection_events_channel_at', 'connection_events', ['channel', 'at'], unique=False)
    op.create_index(op.f('ix_connection_events_session_id'), 'connection_events', ['session_id'], unique=False)

    op.create_table('raw_lines',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('session_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('channel', sa.Text(), nullable=True),
    sa.Column('command', sa.Text(), nullable=True),
    sa.Column('line', sa.Text(), nullable=False),
    sa.Column('parse_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], name=op.f('fk_raw_lines_session_id_sessions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_raw_lines')),
    sqlite_autoincrement=True,
    )
    op.create_index('ix_raw_lines_channel_received_at', 'raw_lines', ['channel', 'received_at'], unique=False)
    op.create_index('ix_raw_lines_received_at', 'raw_lines', ['received_at'], unique=False)

    op.create_table('emote_usages',
    sa.Column('message_id', sa.Text(), nullable=False),
    sa.Column('emote_id', sa.Text(), nullable=False),
    sa.Column('raw_line_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('channel', sa.Text(), nullable=False),
    sa.Column('emote_name', sa.Text(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['raw_line_id'], ['raw_lines.id'], name=op.f('fk_emote_usages_raw_line_id_raw_lines')),
    sa.PrimaryKeyConstraint('message_id', 'emote_id', name=op.f('pk_emote_usages'))
    )
    op.create_index('ix_emote_usages_channel_sent_at', 'emote_usages', ['channel', 'sent_at'], unique=False)
    op.create_index('ix_emote_usages_emote_id', 'emote_usages', ['emote_id'], unique=False)
    op.create_index(op.f('ix_emote_usages_raw_line_id'), 'emote_usages', ['raw_line_id'], unique=False)

    op.create_table('membership_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('raw_line_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('channel', sa.Text(), nullable=False),
    sa.Column('login', sa.Text(), nullable=True),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['raw_line_id'], ['raw_lines.id'], name=op.f('fk_membership_events_raw_line_id_raw_lines')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_membership_events'))
    )
    op.create_index('ix_membership_events_channel_received_at', 'membership_events', ['channel', 'received_at'], unique=False)
    op.create_index(op.f('ix_membership_events_raw_line_id'), 'membership_events', ['raw_line_id'], unique=False)

    op.create_table('messages',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('raw_line_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('channel', sa.Text(), nullable=False),
    sa.Column('room_id', sa.Text(), nullable=True),
    sa.Column('user_id', sa.Text(), nullable=True),
    sa.Column('login', sa.Text(), nullable=True),
    sa.Column('display_name', sa.Text(), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('is_action', sa.Boolean(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('bits', sa.Integer(), nullable=True),
    sa.Column('color', sa.Text(), nullable=True),
    sa.Column('badges', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=True),
    sa.Column('badge_info', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=True),
    sa.Column('emotes', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=True),
    sa.Column('is_first_msg', sa.Boolean(), nullable=True),
    sa.Column('is_mod', sa.Boolean(), nullable=True),
    sa.Column('is_subscriber', sa.Boolean(), nullable=True),
    sa.Column('reply_parent_msg_id', sa.Text(), nullable=True),
    sa.Column('reply_parent_login', sa.Text(), nullable=True),
    sa.Column('custom_reward_id', sa.Text(), nullable=True),
    sa.Column('source_room_id', sa.Text(), nullable=True),
    sa.Column('tags', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=True),
    sa.ForeignKeyConstraint(['raw_line_id'], ['raw_lines.id'], name=op.f('fk_messages_raw_line_id_raw_lines')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messages'))
    )
    op.create_index('ix_messages_channel_sent_at', 'messages', ['channel', 'sent_at'], unique=False)
    op.create_index('ix_messages_login', 'messages', ['login'], unique=False)
    op.create_index(op.f('ix_messages_raw_line_id'), 'messages', ['raw_line_id'], unique=False)
    op.create_index('ix_messages_user_id', 'messages', ['user_id'], unique=False)

    op.create_table('moderation_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('raw_line_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('channel', sa.Text(), nullable=False),
    sa.Column('room_id', sa.Text(), nullable=True),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('target_user_id', sa.Text(), nullable=True),
    sa.Column('target_login', sa.Text(), nullable=True),
    sa.Column('duration_s', sa.Integer(), nullable=True),
    sa.Column('target_message_id', sa.Text(), nullable=True),
    sa.Column('target_text', sa.Text(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['raw_line_id'], ['raw_lines.id'], name=op.f('fk_moderation_events_raw_line_id_raw_lines')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_moderation_events'))
    )
    op.create_index('ix_moderation_events_channel_at', 'moderation_events', ['channel', 'at'], unique=False)
    op.create_index(op.f('ix_moderation_events_raw_line_id'), 'moderation_events', ['raw_line_id'], unique=False)
    op.create_index('ix_moderation_events_target_user_id', 'moderation_events', ['target_user_id'], unique=False)

    op.create_table('notices',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('raw_line_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('channel', sa.Text(), nullable=True),
    sa.Column('msg_id', sa.Text(), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('target_user_id', sa.Text(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['raw_line_id'], ['raw_lines.id'], name=op.f('fk_notices_raw_line_id_raw_lines')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notices'))
    )
    op.create_index('ix_notices_channel_received_at', 'notices', ['channel', 'received_at'], unique=False)
    op.create_index(op.f('ix_notices_raw_line_id'), 'notices', ['raw_line_id'], unique=False)

    op.create_table('room_states',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('raw_line_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('channel', sa.Text(), nullable=False),
    sa.Column('room_id', sa.Text(), nullable=True),
    sa.Column('emote_only', sa.Integer(), nullable=True),
    sa.Column('followers_only', sa.Integer(), nullable=True),
    sa.Column('r9k', sa.Integer(), nullable=True),
    sa.Column('slow', sa.Integer(), nullable=True),
    sa.Column('subs_only', sa.Integer(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['raw_line_id'], ['raw_lines.id'], name=op.f('fk_room_states_raw_line_id_raw_lines')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_room_states'))
    )
    op.create_index('ix_room_states_channel_received_at', 'room_states', ['channel', 'received_at'], unique=False)
    op.create_index(op.f('ix_room_states_raw_line_id'), 'room_states', ['raw_line_id'], unique=False)

    op.create_table('user_states',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('raw_line_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('channel', sa.Text(), nullable=True),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('user_id', sa.Text(), nullable=True),
    sa.Column('login', sa.Text(), nullable=True),
    sa.Column('display_name', sa.Text(), nullable=True),
    sa.Column('badges', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=True),
    sa.Column('badge_info', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=True),
    sa.Column('color', sa.Text(), nullable=True),
    sa.Column('emote_sets', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=True),
    sa.Column('is_mod', sa.Boolean(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['raw_line_id'], ['raw_lines.id'], name=op.f('fk_user_states_raw_line_id_raw_lines')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_states'))
    )
    op.create_index(op.f('ix_user_states_raw_line_id'), 'user_states', ['raw_line_id'], unique=False)

    op.create_table('usernotices',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('raw_line_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('channel', sa.Text(), nullable=False),
    sa.Column('room_id', sa.Text(), nullable=True),
    sa.Column('msg_id', sa.Text(), nullable=True),
    sa.Column('user_id', sa.Text(), nullable=True),
    sa.Column('login', sa.Text(), nullable=True),
    sa.Column('display_name', sa.Text(), nullable=True),
    sa.Column('system_msg', sa.Text(), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('params', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=True),
    sa.Column('tags', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=True),
    sa.ForeignKeyConstraint(['raw_line_id'], ['raw_lines.id'], name=op.f('fk_usernotices_raw_line_id_raw_lines')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_usernotices'))
    )
    op.create_index('ix_usernotices_channel_sent_at', 'usernotices', ['channel', 'sent_at'], unique=False)
    op.create_index('ix_usernotices_msg_id', 'usernotices', ['msg_id'], unique=False)
    op.create_index(op.f('ix_usernotices_raw_line_id'), 'usernotices', ['raw_line_id'], unique=False)
    op.create_index('ix_usernotices_user_id', 'usernotices', ['user_id'], unique=False)

    op.create_table('whispers',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('raw_line_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('message_id', sa.Text(), nullable=True),
    sa.Column('thread_id', sa.Text(), nullable=True),
    sa.Column('from_user_id', sa.Text(), nullable=True),
    sa.Column('from_login', sa.Text(), nullable=True),
    sa.Column('display_name', sa.Text(), nullable=True),
    sa.Column('to_login', sa.Text(), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('badges', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=True),
    sa.Column('color', sa.Text(), nullable=True),
    sa.Column('emotes', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['raw_line_id'], ['raw_lines.id'], name=op.f('fk_whispers_raw_line_id_raw_lines')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_whispers')),
    sa.UniqueConstraint('message_id', name=op.f('uq_whispers_message_id'))
    )
    op.create_index(op.f('ix_whispers_raw_line_id'), 'whispers', ['raw_line_id'], unique=False)
    op.create_index('ix_whispers_thread_id', 'whispers', ['thread_id'], unique=False)



def downgrade() -> None:
    op.drop_index('ix_whispers_thread_id', table_name='whispers')
    op.drop_index('ix_whispers_raw_line_id', table_name='whispers')
    op.drop_table('whispers')
    op.drop_index('ix_usernotices_user_id', table_name='usernotices')
    op.drop_index('ix_usernotices_raw_line_id', table_name='usernotices')
    op.drop_index('ix_usernotices_msg_id', table_name='usernotices')
    op.drop_index('ix_usernotices_channel_sent_at', table_name='usernotices')
    op.drop_table('usernotices')
    op.drop_index('ix_user_states_raw_line_id', table_name='user_states')
    op.drop_table('user_states')
    op.drop_index('ix_room_states_raw_line_id', table_name='room_states')
    op.drop_index('ix_room_states_channel_received_at', table_name='room_states')
    op.drop_table('room_states')
    op.drop_index('ix_notices_raw_line_id', table_name='notices')
    op.drop_index('ix_notices_channel_received_at', table_name='notices')
    op.drop_table('notices')
    op.drop_index('ix_moderation_events_target_user_id', table_name='moderation_events')
    op.drop_index('ix_moderation_events_raw_line_id', table_name='moderation_events')
    op.drop_index('ix_moderation_events_channel_at', table_name='moderation_events')
    op.drop_table('moderation_events')
    op.drop_index('ix_messages_user_id', table_name='messages')
    op.drop_index('ix_messages_raw_line_id', table_name='messages')
    op.drop_index('ix_messages_login', table_name='messages')
    op.drop_index('ix_messages_channel_sent_at', table_name='messages')
    op.drop_table('messages')
    op.drop_index('ix_membership_events_raw_line_id', table_name='membership_events')
    op.drop_index('ix_membership_events_channel_received_at', table_name='membership_events')
    op.drop_table('membership_events')
    op.drop_index('ix_emote_usages_raw_line_id', table_name='emote_usages')
    op.drop_index('ix_emote_usages_emote_id', table_name='emote_usages')
    op.drop_index('ix_emote_usages_channel_sent_at', table_name='emote_usages')
    op.drop_table('emote_usages')
    op.drop_index('ix_raw_lines_received_at', table_name='raw_lines')
    op.drop_index('ix_raw_lines_channel_received_at', table_name='raw_lines')
    op.drop_table('raw_lines')
    op.drop_index('ix_connection_events_session_id', table_name='connection_events')
    op.drop_index('ix_connection_events_channel_at', table_name='connection_events')
    op.drop_table('connection_events')
    op.drop_index('ix_users_login', table_name='users')
    op.drop_table('users')
    op.drop_index('ix_user_name_history_user_id', table_name='user_name_history')
    op.drop_index('ix_user_name_history_login', table_name='user_name_history')
    op.drop_table('user_name_history')
    op.drop_index('ix_stream_snapshots_channel_fetched_at', table_name='stream_snapshots')
    op.drop_table('stream_snapshots')
    op.drop_table('sessions')
    op.drop_table('projection_state')
    op.drop_table('games')
    op.drop_index('ix_channels_login', table_name='channels')
    op.drop_table('channels')
    op.drop_index('ix_channel_history_broadcaster_id_fetched_at', table_name='channel_history')
    op.drop_table('channel_history')
