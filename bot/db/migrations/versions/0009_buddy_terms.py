"""buddy terms: why someone still waits, pause until a date, wished frequency, agreed length

Revision ID: 0009
Revises: 0003 (the buddies branch)
Create Date: 2026-11-29 16:00:00
"""
from alembic import op
import sqlalchemy as sa

import bot.db.base


revision = '0009'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('buddy_profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paused_until', bot.db.base.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('frequency', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('waiting_told_at', bot.db.base.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('waiting_reason', sa.String(length=40), nullable=True))

    with op.batch_alter_table('buddy_pairs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('term_ends_at', bot.db.base.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('extension_asked_at', bot.db.base.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('participant_extend', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('partner_extend', sa.String(length=8), nullable=True))
        batch_op.create_index(batch_op.f('ix_buddy_pairs_term_ends_at'), ['term_ends_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('buddy_pairs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_buddy_pairs_term_ends_at'))
        batch_op.drop_column('partner_extend')
        batch_op.drop_column('participant_extend')
        batch_op.drop_column('extension_asked_at')
        batch_op.drop_column('term_ends_at')

    with op.batch_alter_table('buddy_profiles', schema=None) as batch_op:
        batch_op.drop_column('waiting_reason')
        batch_op.drop_column('waiting_told_at')
        batch_op.drop_column('frequency')
        batch_op.drop_column('paused_until')
