"""meal reminders per person, quiet hours per person, companions (+1)

Revision ID: 0011
Revises: 0013
Create Date: 2026-11-29 18:10:00

Also adds ``people.quiet_hours`` (a core column, not meal-specific): one migration
keeps the feature's schema change in one place; it touches no table of another branch.
"""
from alembic import op
import sqlalchemy as sa

import bot.db.base


revision = '0011'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quiet_hours', sa.String(length=11), nullable=True))
    with op.batch_alter_table('meal_rsvps', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('companions', sa.Integer(), nullable=False, server_default='0')
        )
        batch_op.add_column(sa.Column('reminded_minutes', sa.Integer(), nullable=True))
    op.create_table('meal_reminder_choices',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('minutes', sa.String(length=100), nullable=False),
    sa.Column('updated_at', bot.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_meal_reminder_choices_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_id', name=op.f('pk_meal_reminder_choices'))
    )


def downgrade() -> None:
    op.drop_table('meal_reminder_choices')
    with op.batch_alter_table('meal_rsvps', schema=None) as batch_op:
        batch_op.drop_column('reminded_minutes')
        batch_op.drop_column('companions')
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_column('quiet_hours')
