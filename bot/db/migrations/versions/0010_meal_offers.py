"""meal offers, maybe and minimum size: an offered seat's deadline, the waiting-list place
last told, a "maybe" reminded once, a meal's minimum and its check, merged tables

Revision ID: 0010
Revises: 0004 (the meals branch)
Create Date: 2026-11-29 18:00:00
"""
from alembic import op
import sqlalchemy as sa

import bot.db.base


revision = '0010'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('meal_meals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('minimum', sa.Integer(), nullable=False, server_default='0'))

    with op.batch_alter_table('meal_occurrences', schema=None) as batch_op:
        batch_op.add_column(sa.Column('minimum_checked', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('one_table', sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table('meal_rsvps', schema=None) as batch_op:
        batch_op.add_column(sa.Column('offer_expires_at', bot.db.base.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('position_told', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('maybe_reminded', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index(batch_op.f('ix_meal_rsvps_offer_expires_at'), ['offer_expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('meal_rsvps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meal_rsvps_offer_expires_at'))
        batch_op.drop_column('maybe_reminded')
        batch_op.drop_column('position_told')
        batch_op.drop_column('offer_expires_at')

    with op.batch_alter_table('meal_occurrences', schema=None) as batch_op:
        batch_op.drop_column('one_table')
        batch_op.drop_column('minimum_checked')

    with op.batch_alter_table('meal_meals', schema=None) as batch_op:
        batch_op.drop_column('minimum')
