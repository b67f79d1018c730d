"""impact: consent, programmes joined, loneliness rounds, volunteers' pulse

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 15:10:00
"""
from alembic import op
import sqlalchemy as sa

import bot.db.base


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('impact_people',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('consent', sa.String(length=8), nullable=False),
    sa.Column('invited_at', bot.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('answered_at', bot.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('first_joined_at', bot.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('last_asked_at', bot.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('paused_until', bot.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_impact_people_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_id', name=op.f('pk_impact_people'))
    )
    op.create_table('impact_enrolments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('programme', sa.String(length=16), nullable=False),
    sa.Column('volunteer', sa.Boolean(), nullable=False),
    sa.Column('joined_at', bot.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_impact_enrolments_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_impact_enrolments')),
    sa.UniqueConstraint('person_id', 'programme', 'volunteer', name=op.f('uq_impact_enrolments_person_id'))
    )
    with op.batch_alter_table('impact_enrolments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_impact_enrolments_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_impact_enrolments_joined_at'), ['joined_at'], unique=False)

    op.create_table('impact_rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('due_at', bot.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('asked_at', bot.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('answered_at', bot.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('companionship', sa.Integer(), nullable=True),
    sa.Column('left_out', sa.Integer(), nullable=True),
    sa.Column('isolated', sa.Integer(), nullable=True),
    sa.Column('lonely', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_impact_rounds_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_impact_rounds')),
    sa.UniqueConstraint('person_id', 'month', name=op.f('uq_impact_rounds_person_id'))
    )
    with op.batch_alter_table('impact_rounds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_impact_rounds_person_id'), ['person_id'], unique=False)
        batch_op.create_index('ix_impact_rounds_status_due', ['status', 'due_at'], unique=False)

    op.create_table('impact_pulses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('programme', sa.String(length=16), nullable=False),
    sa.Column('ref', sa.String(length=40), nullable=False),
    sa.Column('due_at', bot.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('asked_at', bot.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('answered_at', bot.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('how', sa.Integer(), nullable=True),
    sa.Column('support', sa.String(length=8), nullable=True),
    sa.Column('hours', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_impact_pulses_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_impact_pulses')),
    sa.UniqueConstraint('person_id', 'ref', name=op.f('uq_impact_pulses_person_id'))
    )
    with op.batch_alter_table('impact_pulses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_impact_pulses_person_id'), ['person_id'], unique=False)
        batch_op.create_index('ix_impact_pulses_status_due', ['status', 'due_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('impact_pulses', schema=None) as batch_op:
        batch_op.drop_index('ix_impact_pulses_status_due')
        batch_op.drop_index(batch_op.f('ix_impact_pulses_person_id'))
    op.drop_table('impact_pulses')
    with op.batch_alter_table('impact_rounds', schema=None) as batch_op:
        batch_op.drop_index('ix_impact_rounds_status_due')
        batch_op.drop_index(batch_op.f('ix_impact_rounds_person_id'))
    op.drop_table('impact_rounds')
    with op.batch_alter_table('impact_enrolments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_impact_enrolments_joined_at'))
        batch_op.drop_index(batch_op.f('ix_impact_enrolments_person_id'))
    op.drop_table('impact_enrolments')
    op.drop_table('impact_people')
