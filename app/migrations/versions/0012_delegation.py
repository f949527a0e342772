"""an action put on another professional's name is a request until they answer

``delegation`` (asked, accepted, declined; empty when the action was not delegated),
``delegated_by_id`` (who asked), ``delegation_note`` (the answer's note: until when, under
whose supervision, or why not) and ``supervisor_account_id`` (the professional under whose
supervision it is done).

Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision, down_revision = '0012', '0011'


def upgrade() -> None:
    with op.batch_alter_table('plan_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delegation', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('delegated_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('delegation_note', sa.Text(), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('supervisor_account_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_plan_item_delegated_by_id_account', 'account',
                                    ['delegated_by_id'], ['id'])
        batch_op.create_foreign_key('fk_plan_item_supervisor_account_id_account', 'account',
                                    ['supervisor_account_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('plan_item', schema=None) as batch_op:
        batch_op.drop_constraint('fk_plan_item_supervisor_account_id_account',
                                 type_='foreignkey')
        batch_op.drop_constraint('fk_plan_item_delegated_by_id_account', type_='foreignkey')
        batch_op.drop_column('supervisor_account_id')
        batch_op.drop_column('delegation_note')
        batch_op.drop_column('delegated_by_id')
        batch_op.drop_column('delegation')
