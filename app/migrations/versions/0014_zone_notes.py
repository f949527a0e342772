"""what the team wrote with a patient for a zone of a condition's plan of action

One row per (carnet, condition, zone) at most, edited like every row of a carnet (``version``,
``updated_by_id``); its ``text`` stands beside the association's page of that zone.

Create Date: 2026-12-01
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision, down_revision = '0014', '0013'


def upgrade() -> None:
    op.create_table(
        'zone_note',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('patient_id', sa.Integer(), nullable=False),
        sa.Column('condition', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('zone', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False,
                  server_default='fr'),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['patient_id'], ['patient.id'],
                                name=op.f('fk_zone_note_patient_id_patient')),
        sa.ForeignKeyConstraint(['updated_by_id'], ['account.id'],
                                name=op.f('fk_zone_note_updated_by_id_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_zone_note')),
        sa.UniqueConstraint('patient_id', 'condition', 'zone',
                            name=op.f('uq_zone_note_patient_id_condition_zone')))
    op.create_index(op.f('ix_zone_note_patient_id'), 'zone_note', ['patient_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_zone_note_patient_id'), table_name='zone_note')
    op.drop_table('zone_note')
