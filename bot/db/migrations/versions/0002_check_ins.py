"""check-ins

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 19:10:45.890343
"""
from alembic import op
import sqlalchemy as sa

import bot.db.base


revision = '0002'
down_revision = '0001'
branch_labels = ('checkins',)
depends_on = None


def upgrade() -> None:
    op.create_table('checkin_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('episode', sa.String(length=40), nullable=False),
    sa.Column('since', bot.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_at', bot.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('acked_by', sa.Integer(), nullable=True),
    sa.Column('acked_at', bot.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['acked_by'], ['people.id'], name=op.f('fk_checkin_alerts_acked_by_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_checkin_alerts_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkin_alerts')),
    sa.UniqueConstraint('person_id', 'reason', 'episode', name=op.f('uq_checkin_alerts_person_id'))
    )
    with op.batch_alter_table('checkin_alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkin_alerts_person_id'), ['person_id'], unique=False)

    op.create_table('checkin_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('mood', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('created_at', bot.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_checkin_entries_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkin_entries'))
    )
    with op.batch_alter_table('checkin_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkin_entries_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_checkin_entries_person_created', ['person_id', 'created_at'], unique=False)

    op.create_table('checkin_schedules',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('weekdays', sa.String(length=7), nullable=False),
    sa.Column('local_time', sa.String(length=5), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('next_due_at', bot.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_at', bot.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_checkin_schedules_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_id', name=op.f('pk_checkin_schedules'))
    )
    with op.batch_alter_table('checkin_schedules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkin_schedules_next_due_at'), ['next_due_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('checkin_schedules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkin_schedules_next_due_at'))

    op.drop_table('checkin_schedules')
    with op.batch_alter_table('checkin_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_checkin_entries_person_created')
        batch_op.drop_index(batch_op.f('ix_checkin_entries_created_at'))

    op.drop_table('checkin_entries')
    with op.batch_alter_table('checkin_alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkin_alerts_person_id'))

    op.drop_table('checkin_alerts')
