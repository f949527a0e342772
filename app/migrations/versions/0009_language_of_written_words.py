"""the language of the words people write: a note, a plan item, an appointment, a report

A page marks the words a person wrote with their language where it is not the page's
(``lang="fr"`` on a French note in an English page), so that a screen reader reads them
with the right voice. Carnet cannot know a text's language without asking; it keeps the
language the writer was reading Carnet in when they wrote it (``writing_language``).

A reader's anonymous answer to "Was this clear?" gets none: it is kept without identity,
and the reader's language would narrow it down; it is read in the page's language.

Every row written before is taken as French (``server_default``): until then Carnet spoke
French and English, and a territory's care teams write French. Adding a column with a
constant default rewrites nothing on PostgreSQL 11+ (a catalogue change only); SQLite's
batch mode copies each table.

Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision, down_revision = '0009', '0008'

TABLES = ('plan_item', 'plan_revision', 'appointment', 'appointment_revision',
          'appointment_question', 'note', 'access_request', 'symptom_report',
          'content_review')


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('language', sa.String(length=10), nullable=False,
                                          server_default='fr'))


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('language')
