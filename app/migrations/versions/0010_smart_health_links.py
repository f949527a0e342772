"""SMART Health Links: the patient's hand-over by QR code, and each use of it

A link holds the ciphertext of the parts the patient chose (a JWE whose key only the link
holds), the hash of its token and of its optional passcode; each request for it, given or
refused, is a ``health_link_use`` with the name the recipient gave.

Create Date: 2026-11-30
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision, down_revision = '0010', '0009'


def upgrade() -> None:
    op.create_table(
        'health_link',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('patient_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column('sections', sa.JSON(), nullable=False),
        sa.Column('passcode_hash', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('wrong_passcodes', sa.Integer(), nullable=False),
        sa.Column('content', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['patient_id'], ['patient.id'],
                                name=op.f('fk_health_link_patient_id_patient')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_health_link')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_health_link_token_hash')))
    op.create_index(op.f('ix_health_link_patient_id'), 'health_link', ['patient_id'])
    op.create_table(
        'health_link_use',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('link_id', sa.Integer(), nullable=False),
        sa.Column('recipient', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column('given', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['link_id'], ['health_link.id'],
                                name=op.f('fk_health_link_use_link_id_health_link')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_health_link_use')))
    op.create_index(op.f('ix_health_link_use_link_id'), 'health_link_use', ['link_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_health_link_use_link_id'), table_name='health_link_use')
    op.drop_table('health_link_use')
    op.drop_index(op.f('ix_health_link_patient_id'), table_name='health_link')
    op.drop_table('health_link')
