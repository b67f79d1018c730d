"""buddy wishes: one's own gender and age band, and a wish for the buddy's

Revision ID: 0012
Revises: 0009 (the buddies branch)
Create Date: 2026-11-29 18:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('buddy_profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('gender', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('age', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('wish_gender', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('wish_age', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('buddy_profiles', schema=None) as batch_op:
        batch_op.drop_column('wish_age')
        batch_op.drop_column('wish_gender')
        batch_op.drop_column('age')
        batch_op.drop_column('gender')
