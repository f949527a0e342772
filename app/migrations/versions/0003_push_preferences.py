"""notification preferences: the kinds an account mutes, and the last daily digest

``kinds`` (the kinds wanted, empty meaning all) becomes ``muted_kinds`` (the kinds not
wanted): "I want none" could not be said with the first, and a kind added later reaches
everyone by default with the second. Existing choices are carried over.

Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op


revision, down_revision = '0003', '0002'

# NotificationKind's values when this migration was written (a migration never imports
# the models: they move on, it must not).
KINDS = ("symptom_report", "consent_changed", "access_requested", "plan_changed",
         "appointment_changed", "appointment_reminder", "note_added", "digest")

preference = sa.table(
    "notification_preference",
    sa.column("id", sa.Integer),
    sa.column("kinds", sa.JSON),
    sa.column("muted_kinds", sa.JSON),
)


def upgrade() -> None:
    with op.batch_alter_table('notification_preference', schema=None) as batch_op:
        batch_op.add_column(sa.Column('muted_kinds', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('last_digest_at', sa.DateTime(timezone=True),
                                      nullable=True))
    connection = op.get_bind()
    for row_id, wanted in connection.execute(sa.select(preference.c.id, preference.c.kinds)):
        muted = [kind for kind in KINDS if wanted and kind not in wanted]
        connection.execute(preference.update().where(preference.c.id == row_id)
                           .values(muted_kinds=muted))
    with op.batch_alter_table('notification_preference', schema=None) as batch_op:
        batch_op.alter_column('muted_kinds', existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column('kinds')


def downgrade() -> None:
    with op.batch_alter_table('notification_preference', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kinds', sa.JSON(), nullable=True))
    connection = op.get_bind()
    for row_id, muted in connection.execute(
            sa.select(preference.c.id, preference.c.muted_kinds)):
        wanted = [kind for kind in KINDS if kind not in (muted or [])]
        connection.execute(preference.update().where(preference.c.id == row_id)
                           .values(kinds=[] if not muted else wanted))
    with op.batch_alter_table('notification_preference', schema=None) as batch_op:
        batch_op.alter_column('kinds', existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column('last_digest_at')
        batch_op.drop_column('muted_kinds')
