"""a content-free e-mail for accounts without a device that can receive a push

``email_when_no_device`` is each person's choice (off for everyone until they choose);
``last_email_at`` keeps them to one e-mail every few hours, and lets one worker only send it.

Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision, down_revision = '0011', '0010'


def upgrade() -> None:
    with op.batch_alter_table('notification_preference', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_when_no_device', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('last_email_at', sa.DateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('notification_preference', schema=None) as batch_op:
        batch_op.drop_column('last_email_at')
        batch_op.drop_column('email_when_no_device')
