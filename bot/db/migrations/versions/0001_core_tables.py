"""core tables

Revision ID: 0001
Revises:
Create Date: 2026-11-22 19:03:48.967819
"""
from alembic import op
import sqlalchemy as sa

import bot.db.base


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('job_leases',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('holder', sa.String(length=64), nullable=True),
    sa.Column('lease_until', bot.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('last_run_at', bot.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('next_run_at', bot.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_job_leases'))
    )
    op.create_table('people',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=True),
    sa.Column('created_at', bot.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('started_at', bot.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('consent_checkins', sa.Boolean(), nullable=False),
    sa.Column('consent_share', sa.Boolean(), nullable=False),
    sa.Column('consent_buddies', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_people'))
    )
    op.create_table('accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('external_id', sa.String(length=255), nullable=False),
    sa.Column('display_name', sa.String(length=255), nullable=False),
    sa.Column('role', sa.Integer(), nullable=False),
    sa.Column('last_seen_at', bot.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('created_at', bot.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_accounts_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accounts')),
    sa.UniqueConstraint('platform', 'external_id', name=op.f('uq_accounts_platform'))
    )
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accounts_person_id'), ['person_id'], unique=False)

    op.create_table('consent_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('consent', sa.String(length=32), nullable=False),
    sa.Column('given', sa.Boolean(), nullable=False),
    sa.Column('at', bot.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_consent_log_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_log'))
    )
    with op.batch_alter_table('consent_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_log_person_id'), ['person_id'], unique=False)

    op.create_table('dialogs',
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('room_id', sa.String(length=255), nullable=False),
    sa.Column('user_id', sa.String(length=255), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('step', sa.String(length=64), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('expires_at', bot.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_dialogs_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('platform', 'room_id', 'user_id', name=op.f('pk_dialogs'))
    )
    with op.batch_alter_table('dialogs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dialogs_person_id'), ['person_id'], unique=False)

    op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=255), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('due_at', bot.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', bot.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('claimed_until', bot.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('sent_at', bot.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('result', sa.Text(), nullable=True),
    sa.Column('created_at', bot.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_outbox_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_outbox_dedupe_key')),
    sqlite_autoincrement=True,
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_person_id'), ['person_id'], unique=False)
        batch_op.create_index('ix_outbox_status_due', ['status', 'due_at'], unique=False)

    op.create_table('room_bindings',
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('room_id', sa.String(length=255), nullable=False),
    sa.Column('feature', sa.String(length=32), nullable=False),
    sa.Column('bound_by', sa.Integer(), nullable=True),
    sa.Column('bound_at', bot.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['bound_by'], ['people.id'], name=op.f('fk_room_bindings_bound_by_people'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('platform', 'room_id', 'feature', name=op.f('pk_room_bindings'))
    )


def downgrade() -> None:
    op.drop_table('room_bindings')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_status_due')
        batch_op.drop_index(batch_op.f('ix_outbox_person_id'))

    op.drop_table('outbox')
    with op.batch_alter_table('dialogs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dialogs_person_id'))

    op.drop_table('dialogs')
    with op.batch_alter_table('consent_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_log_person_id'))

    op.drop_table('consent_log')
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_accounts_person_id'))

    op.drop_table('accounts')
    op.drop_table('people')
    op.drop_table('job_leases')
