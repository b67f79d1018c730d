"""organising

Revision ID: 0005
Revises: 0001
Create Date: 2026-11-22 19:09:32.084172
"""
from alembic import op
import sqlalchemy as sa

import bot.db.base


revision = '0005'
down_revision = '0001'
branch_labels = ('organising',)
depends_on = None


def upgrade() -> None:
    op.create_table('org_link_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('at', bot.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_org_link_attempts_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_org_link_attempts'))
    )
    with op.batch_alter_table('org_link_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_org_link_attempts_person_at', ['person_id', 'at'], unique=False)

    op.create_table('org_link_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('created_at', bot.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', bot.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_org_link_codes_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_org_link_codes')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_org_link_codes_code_hash'))
    )
    with op.batch_alter_table('org_link_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_org_link_codes_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_org_link_codes_person_id'), ['person_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('org_link_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_org_link_codes_person_id'))
        batch_op.drop_index(batch_op.f('ix_org_link_codes_expires_at'))

    op.drop_table('org_link_codes')
    with op.batch_alter_table('org_link_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_org_link_attempts_person_at')

    op.drop_table('org_link_attempts')
