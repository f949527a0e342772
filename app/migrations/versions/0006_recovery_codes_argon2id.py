"""recovery codes: a selector in clear, the secret hashed with argon2id (salted, slow)

A recovery code holds about 50 random bits; stored as an unsalted SHA-256, a copied table
could be searched through at the speed of a GPU. The secret part is now hashed with
argon2id, salted, so a row can no longer be looked up by its hash: the code's first group
becomes a selector, kept in clear and indexed, that finds the row to verify.

An old SHA-256 code cannot be converted (the code itself is not known), so every existing
recovery code is deleted, used or not. Their owners make ten new ones in "Me → Security";
an account that had no passkey left, only codes, needs a new invitation
(`flask --app app invite EMAIL`). Downgrading deletes the argon2id codes the same way.

Create Date: 2026-11-30
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision, down_revision = '0006', '0005'


def upgrade() -> None:
    op.execute(sa.text('DELETE FROM recovery_code'))
    with op.batch_alter_table('recovery_code', schema=None) as batch_op:
        batch_op.drop_constraint('uq_recovery_code_code_hash', type_='unique')
        batch_op.add_column(sa.Column('selector', sqlmodel.sql.sqltypes.AutoString(length=8),
                                      nullable=False))
        batch_op.create_index(batch_op.f('ix_recovery_code_selector'), ['selector'],
                              unique=False)


def downgrade() -> None:
    op.execute(sa.text('DELETE FROM recovery_code'))
    with op.batch_alter_table('recovery_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recovery_code_selector'))
        batch_op.drop_column('selector')
        batch_op.create_unique_constraint('uq_recovery_code_code_hash', ['code_hash'])
