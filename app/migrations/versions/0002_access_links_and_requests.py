"""access links, and access requests asked by a coordinator

Create Date: 2026-11-23
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op


revision, down_revision = '0002', '0001'


def upgrade() -> None:
    op.create_table('access_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('access_request_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['access_request_id'], ['access_request.id'], name=op.f('fk_access_link_access_request_id_access_request')),
    sa.ForeignKeyConstraint(['created_by_id'], ['account.id'], name=op.f('fk_access_link_created_by_id_account')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_access_link_patient_id_patient')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_link')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_access_link_token_hash'))
    )
    with op.batch_alter_table('access_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_link_patient_id'), ['patient_id'], unique=False)

    with op.batch_alter_table('access_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('asked_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_access_request_asked_by_id_account'), 'account', ['asked_by_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('access_request', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_access_request_asked_by_id_account'), type_='foreignkey')
        batch_op.drop_column('asked_by_id')

    with op.batch_alter_table('access_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_link_patient_id'))

    op.drop_table('access_link')
