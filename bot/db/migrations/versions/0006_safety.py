"""safety plans; honest and escalated alerts

Revision ID: 0006
Revises: 0002
Create Date: 2026-11-29 13:40:00
"""
from alembic import op
import sqlalchemy as sa

import bot.db.base


revision = '0006'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('safety_plans',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('warning_signs', sa.Text(), nullable=False),
    sa.Column('what_helps', sa.Text(), nullable=False),
    sa.Column('people', sa.Text(), nullable=False),
    sa.Column('updated_at', bot.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_safety_plans_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_id', name=op.f('pk_safety_plans'))
    )
    with op.batch_alter_table('checkin_alerts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tell_person', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('delivered_at', bot.db.base.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('person_told', sa.String(length=12), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('escalated_at', bot.db.base.UtcDateTime(timezone=True), nullable=True))
    # Alerts from before this revision were told and handled the old way: the follow-up
    # must not escalate or re-announce them all at once after the upgrade.
    op.execute(
        "UPDATE checkin_alerts SET delivered_at = created_at, escalated_at = created_at, "
        "person_told = 'delivered'"
    )


def downgrade() -> None:
    with op.batch_alter_table('checkin_alerts', schema=None) as batch_op:
        batch_op.drop_column('escalated_at')
        batch_op.drop_column('person_told')
        batch_op.drop_column('delivered_at')
        batch_op.drop_column('tell_person')
    op.drop_table('safety_plans')
