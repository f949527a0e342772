"""server-side sessions: a signed-in browser is a row, so that ending it here ends it

A copied session cookie kept working after sign-out, with no absolute lifetime; secrets
shown once (recovery codes, private links) travelled in the signed, unencrypted cookie.

Create Date: 2026-11-30
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision, down_revision = '0005', '0004'


def upgrade() -> None:
    op.create_table('account_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('shown_once', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'],
                            name=op.f('fk_account_session_account_id_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_session')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_account_session_token_hash'))
    )
    with op.batch_alter_table('account_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_session_account_id'), ['account_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('account_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_session_account_id'))

    op.drop_table('account_session')
