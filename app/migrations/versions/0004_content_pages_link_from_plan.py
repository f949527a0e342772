"""educational pages: a plan action points at a page by slug; a page no longer points at a
patient's plan item

A page is content co-written by associations, read by every patient with the condition:
it must hold no reference to one patient's plan. The link goes the other way, from the
plan action to the page's slug, so it follows the page across versions and languages.

Create Date: 2026-11-23
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision, down_revision = '0004', '0003'


def upgrade() -> None:
    with op.batch_alter_table('plan_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content_slug', sqlmodel.sql.sqltypes.AutoString(
            length=120), nullable=False, server_default=''))
    with op.batch_alter_table('content_page', schema=None) as batch_op:
        batch_op.drop_constraint('fk_content_page_plan_action_id_plan_item', type_='foreignkey')
        batch_op.drop_column('plan_action_id')


def downgrade() -> None:
    with op.batch_alter_table('content_page', schema=None) as batch_op:
        batch_op.add_column(sa.Column('plan_action_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_content_page_plan_action_id_plan_item', 'plan_item',
                                    ['plan_action_id'], ['id'])
    with op.batch_alter_table('plan_item', schema=None) as batch_op:
        batch_op.drop_column('content_slug')
