"""trust boundaries: event claims, two-sided link confirmation, rows a join moved

Revision ID: 0007
Revises: 0005
Create Date: 2026-11-29 13:00:00
"""
from alembic import op
import sqlalchemy as sa

import bot.db.base


revision = '0007'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('event_claims',
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('event_id', sa.String(length=255), nullable=False),
    sa.Column('claimed_at', bot.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('platform', 'event_id', name=op.f('pk_event_claims'))
    )
    with op.batch_alter_table('event_claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_claims_claimed_at'), ['claimed_at'], unique=False)

    op.create_table('org_link_moves',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('merge_id', sa.String(length=32), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('table_name', sa.String(length=64), nullable=False),
    sa.Column('column_name', sa.String(length=64), nullable=False),
    sa.Column('row_key', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_org_link_moves_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_org_link_moves'))
    )
    with op.batch_alter_table('org_link_moves', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_org_link_moves_merge_id'), ['merge_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_org_link_moves_person_id'), ['person_id'], unique=False)

    with op.batch_alter_table('org_link_codes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('claimed_account_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_org_link_codes_claimed_by'), ['claimed_by'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_org_link_codes_claimed_by_people'), 'people', ['claimed_by'], ['id'], ondelete='CASCADE')
        batch_op.create_foreign_key(batch_op.f('fk_org_link_codes_claimed_account_id_accounts'), 'accounts', ['claimed_account_id'], ['id'], ondelete='CASCADE')


def downgrade() -> None:
    with op.batch_alter_table('org_link_codes', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_org_link_codes_claimed_account_id_accounts'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_org_link_codes_claimed_by_people'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_org_link_codes_claimed_by'))
        batch_op.drop_column('claimed_account_id')
        batch_op.drop_column('claimed_by')

    with op.batch_alter_table('org_link_moves', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_org_link_moves_person_id'))
        batch_op.drop_index(batch_op.f('ix_org_link_moves_merge_id'))

    op.drop_table('org_link_moves')
    with op.batch_alter_table('event_claims', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_claims_claimed_at'))

    op.drop_table('event_claims')
