"""meals shown natively: the platform's event or widget id, and the meal's own call link

Revision ID: 0013
Revises: 0010 (the meals branch)
Create Date: 2026-11-29 18:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('meal_meals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('native_event_id', sa.String(length=255), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('place_url', sa.Text(), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('meal_meals', schema=None) as batch_op:
        batch_op.drop_column('place_url')
        batch_op.drop_column('native_event_id')
