"""a professional's weekly summary of their patients, for those who choose it

``weekly_summary`` is each professional's choice (off for everyone until they choose);
``last_weekly_at`` lets one worker only make each week's summary.

Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision, down_revision = '0013', '0012'


def upgrade() -> None:
    with op.batch_alter_table('notification_preference', schema=None) as batch_op:
        batch_op.add_column(sa.Column('weekly_summary', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('last_weekly_at', sa.DateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('notification_preference', schema=None) as batch_op:
        batch_op.drop_column('last_weekly_at')
        batch_op.drop_column('weekly_summary')
