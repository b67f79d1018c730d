"""buddy pairing

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-22 19:27:13.336596
"""
from alembic import op
import sqlalchemy as sa

import bot.db.base


revision = '0003'
down_revision = '0001'
branch_labels = ('buddies',)
depends_on = None


def upgrade() -> None:
    op.create_table('buddy_rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scheduled_for', sa.String(length=10), nullable=True),
    sa.Column('ran_at', bot.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('proposed', sa.Integer(), nullable=False),
    sa.Column('waiting', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_buddy_rounds')),
    sa.UniqueConstraint('scheduled_for', name=op.f('uq_buddy_rounds_scheduled_for'))
    )
    op.create_table('buddy_blocks',
    sa.Column('blocker_id', sa.Integer(), nullable=False),
    sa.Column('blocked_id', sa.Integer(), nullable=False),
    sa.Column('at', bot.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['blocked_id'], ['people.id'], name=op.f('fk_buddy_blocks_blocked_id_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['blocker_id'], ['people.id'], name=op.f('fk_buddy_blocks_blocker_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('blocker_id', 'blocked_id', name=op.f('pk_buddy_blocks'))
    )
    op.create_table('buddy_pairs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('participant_answer', sa.String(length=8), nullable=True),
    sa.Column('partner_answer', sa.String(length=8), nullable=True),
    sa.Column('shared', sa.JSON(), nullable=False),
    sa.Column('score', sa.Double(), nullable=False),
    sa.Column('waited_days', sa.Double(), nullable=False),
    sa.Column('proposed_at', bot.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', bot.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('matched_at', bot.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('ended_at', bot.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.String(length=16), nullable=True),
    sa.Column('space_id', sa.String(length=255), nullable=True),
    sa.Column('next_followup_at', bot.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('followup_round', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['people.id'], name=op.f('fk_buddy_pairs_participant_id_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partner_id'], ['people.id'], name=op.f('fk_buddy_pairs_partner_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_buddy_pairs'))
    )
    with op.batch_alter_table('buddy_pairs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_buddy_pairs_next_followup_at'), ['next_followup_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_buddy_pairs_participant_id'), ['participant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_buddy_pairs_partner_id'), ['partner_id'], unique=False)
        batch_op.create_index('ix_buddy_pairs_status', ['status'], unique=False)

    op.create_table('buddy_profiles',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=12), nullable=False),
    sa.Column('languages', sa.JSON(), nullable=False),
    sa.Column('interests', sa.JSON(), nullable=False),
    sa.Column('contact', sa.JSON(), nullable=False),
    sa.Column('times', sa.JSON(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('about', sa.String(length=200), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('seeking', sa.Boolean(), nullable=False),
    sa.Column('paused', sa.Boolean(), nullable=False),
    sa.Column('pending_notice', sa.String(length=16), nullable=True),
    sa.Column('waiting_since', bot.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('created_at', bot.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', bot.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_buddy_profiles_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_id', name=op.f('pk_buddy_profiles'))
    )
    op.create_table('buddy_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reporter_id', sa.Integer(), nullable=False),
    sa.Column('pair_ids', sa.JSON(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('created_at', bot.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', bot.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['closed_by'], ['people.id'], name=op.f('fk_buddy_reports_closed_by_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reporter_id'], ['people.id'], name=op.f('fk_buddy_reports_reporter_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_buddy_reports'))
    )
    with op.batch_alter_table('buddy_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_buddy_reports_reporter_id'), ['reporter_id'], unique=False)

    op.create_table('buddy_followups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pair_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('asked_at', bot.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('answer', sa.String(length=16), nullable=True),
    sa.Column('answered_at', bot.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['pair_id'], ['buddy_pairs.id'], name=op.f('fk_buddy_followups_pair_id_buddy_pairs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_buddy_followups_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_buddy_followups')),
    sa.UniqueConstraint('pair_id', 'person_id', 'round', name=op.f('uq_buddy_followups_pair_id'))
    )
    with op.batch_alter_table('buddy_followups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_buddy_followups_person_id'), ['person_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('buddy_followups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_buddy_followups_person_id'))

    op.drop_table('buddy_followups')
    with op.batch_alter_table('buddy_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_buddy_reports_reporter_id'))

    op.drop_table('buddy_reports')
    op.drop_table('buddy_profiles')
    with op.batch_alter_table('buddy_pairs', schema=None) as batch_op:
        batch_op.drop_index('ix_buddy_pairs_status')
        batch_op.drop_index(batch_op.f('ix_buddy_pairs_partner_id'))
        batch_op.drop_index(batch_op.f('ix_buddy_pairs_participant_id'))
        batch_op.drop_index(batch_op.f('ix_buddy_pairs_next_followup_at'))

    op.drop_table('buddy_pairs')
    op.drop_table('buddy_blocks')
    op.drop_table('buddy_rounds')
