"""shared meals

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-22 19:11:26.545454
"""
from alembic import op
import sqlalchemy as sa

import bot.db.base


revision = '0004'
down_revision = '0001'
branch_labels = ('meals',)
depends_on = None


def upgrade() -> None:
    op.create_table('meal_meals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('host_person_id', sa.Integer(), nullable=True),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('room_id', sa.String(length=255), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('local_time', sa.String(length=5), nullable=False),
    sa.Column('first_date', sa.String(length=10), nullable=False),
    sa.Column('every_weeks', sa.Integer(), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('video_kind', sa.String(length=16), nullable=False),
    sa.Column('video_url', sa.Text(), nullable=False),
    sa.Column('planned_until', bot.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', bot.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('created_at', bot.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['host_person_id'], ['people.id'], name=op.f('fk_meal_meals_host_person_id_people'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meal_meals')),
    sa.UniqueConstraint('code', name=op.f('uq_meal_meals_code'))
    )
    with op.batch_alter_table('meal_meals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meal_meals_host_person_id'), ['host_person_id'], unique=False)

    op.create_table('meal_occurrences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meal_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', bot.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('taken', sa.Integer(), nullable=False),
    sa.Column('reminders_done', sa.Integer(), nullable=False),
    sa.Column('start_announced', sa.Boolean(), nullable=False),
    sa.Column('feedback_asked', sa.Boolean(), nullable=False),
    sa.Column('cancelled_at', bot.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('taken >= 0 AND taken <= capacity', name=op.f('ck_meal_occurrences_seats')),
    sa.ForeignKeyConstraint(['meal_id'], ['meal_meals.id'], name=op.f('fk_meal_occurrences_meal_id_meal_meals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meal_occurrences')),
    sa.UniqueConstraint('meal_id', 'starts_at', name=op.f('uq_meal_occurrences_meal_id'))
    )
    with op.batch_alter_table('meal_occurrences', schema=None) as batch_op:
        batch_op.create_index('ix_meal_occurrences_status_starts', ['status', 'starts_at'], unique=False)

    op.create_table('meal_subscriptions',
    sa.Column('meal_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('is_volunteer', sa.Boolean(), nullable=False),
    sa.Column('created_at', bot.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['meal_id'], ['meal_meals.id'], name=op.f('fk_meal_subscriptions_meal_id_meal_meals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_meal_subscriptions_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('meal_id', 'person_id', name=op.f('pk_meal_subscriptions'))
    )
    with op.batch_alter_table('meal_subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meal_subscriptions_person_id'), ['person_id'], unique=False)

    op.create_table('meal_feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('occurrence_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('rating', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('created_at', bot.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['occurrence_id'], ['meal_occurrences.id'], name=op.f('fk_meal_feedback_occurrence_id_meal_occurrences'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_meal_feedback_person_id_people'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meal_feedback')),
    sa.UniqueConstraint('occurrence_id', 'person_id', name=op.f('uq_meal_feedback_occurrence_id'))
    )
    with op.batch_alter_table('meal_feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meal_feedback_occurrence_id'), ['occurrence_id'], unique=False)

    op.create_table('meal_rsvps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('occurrence_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('is_volunteer', sa.Boolean(), nullable=False),
    sa.Column('table_no', sa.Integer(), nullable=True),
    sa.Column('moved_up', sa.Boolean(), nullable=False),
    sa.Column('attended_at', bot.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('created_at', bot.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['occurrence_id'], ['meal_occurrences.id'], name=op.f('fk_meal_rsvps_occurrence_id_meal_occurrences'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_meal_rsvps_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meal_rsvps')),
    sa.UniqueConstraint('occurrence_id', 'person_id', name=op.f('uq_meal_rsvps_occurrence_id'))
    )
    with op.batch_alter_table('meal_rsvps', schema=None) as batch_op:
        batch_op.create_index('ix_meal_rsvps_moved_up', ['moved_up'], unique=False)
        batch_op.create_index('ix_meal_rsvps_occurrence_status', ['occurrence_id', 'status', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meal_rsvps_person_id'), ['person_id'], unique=False)

    op.create_table('meal_tables',
    sa.Column('occurrence_id', sa.Integer(), nullable=False),
    sa.Column('table_no', sa.Integer(), nullable=False),
    sa.Column('video_url', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['occurrence_id'], ['meal_occurrences.id'], name=op.f('fk_meal_tables_occurrence_id_meal_occurrences'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('occurrence_id', 'table_no', name=op.f('pk_meal_tables'))
    )


def downgrade() -> None:
    op.drop_table('meal_tables')
    with op.batch_alter_table('meal_rsvps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meal_rsvps_person_id'))
        batch_op.drop_index('ix_meal_rsvps_occurrence_status')
        batch_op.drop_index('ix_meal_rsvps_moved_up')

    op.drop_table('meal_rsvps')
    with op.batch_alter_table('meal_feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meal_feedback_occurrence_id'))

    op.drop_table('meal_feedback')
    with op.batch_alter_table('meal_subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meal_subscriptions_person_id'))

    op.drop_table('meal_subscriptions')
    with op.batch_alter_table('meal_occurrences', schema=None) as batch_op:
        batch_op.drop_index('ix_meal_occurrences_status_starts')

    op.drop_table('meal_occurrences')
    with op.batch_alter_table('meal_meals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meal_meals_host_person_id'))

    op.drop_table('meal_meals')
