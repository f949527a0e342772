"""indexes for long histories: a page of "Who saw my carnet", of the reports, of the inbox

Measured at a territory's size (100,000 audit lines on one carnet, a million reports), the
pages that read a carnet's history scanned all of it: "Who saw my carnet" sorted every line
of the carnet to show thirty (410 ms), the inbox and the counts of "My patients" read a
patient's whole history of reports to find the few not yet acknowledged, and the list of
reports sorted them all. Each now walks an index in the order it shows:

- ``ix_audit_event_patient_newest`` (patient_id, created_at DESC, id DESC) for "Who saw my
  carnet", replacing the index on patient_id alone (its first column does that work);
- ``ix_symptom_report_patient_reported`` (patient_id, reported_at, id) for the list of
  reports and the trends, replacing the index on patient_id alone likewise;
- ``ix_symptom_report_waiting``, partial: the reports whose ``acknowledged_at`` is empty,
  by patient, urgency and time: the inbox and the counts of "My patients".

No data changes. Building them locks writes to the two tables while it runs (1.8 s for
220,000 reports and 100,000 audit lines, benchmarks/explain_paging.py; several seconds at
a million): run the upgrade outside the morning round. Downgrading puts the single-column
indexes back.

Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision, down_revision = '0008', '0007'

WAITING = sa.text('acknowledged_at IS NULL')


def upgrade() -> None:
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_event_patient_newest',
                              ['patient_id', sa.text('created_at DESC'), sa.text('id DESC')],
                              unique=False)
        batch_op.drop_index('ix_audit_event_patient_id')

    with op.batch_alter_table('symptom_report', schema=None) as batch_op:
        batch_op.create_index('ix_symptom_report_patient_reported',
                              ['patient_id', 'reported_at', 'id'], unique=False)
        batch_op.create_index('ix_symptom_report_waiting',
                              ['patient_id', 'urgent', 'reported_at', 'id'], unique=False,
                              postgresql_where=WAITING, sqlite_where=WAITING)
        batch_op.drop_index('ix_symptom_report_patient_id')


def downgrade() -> None:
    with op.batch_alter_table('symptom_report', schema=None) as batch_op:
        batch_op.create_index('ix_symptom_report_patient_id', ['patient_id'], unique=False)
        batch_op.drop_index('ix_symptom_report_waiting')
        batch_op.drop_index('ix_symptom_report_patient_reported')

    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_event_patient_id', ['patient_id'], unique=False)
        batch_op.drop_index('ix_audit_event_patient_newest')
