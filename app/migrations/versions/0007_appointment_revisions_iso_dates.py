"""appointment revisions: dates and times kept as ISO instants, written for the reader on display

An appointment's history kept the dates it changed ("moved from … to …") as French text
("03/11/2026 10:00", Paris time), so an English reader read them the French way, and nothing
could compare, sort or re-zone them. A revision now keeps an ISO instant in UTC
("2026-11-03T09:00:00+00:00"), and the page writes it in the reader's language and Paris
time. No column changes: the values inside the ``before`` and ``after`` JSON of
``appointment_revision`` are rewritten.

Each French value of ``starts_at`` or ``ends_at`` (day/month/year hours:minutes, Paris wall
clock) becomes its instant; in the hour that happens twice when clocks go back in October,
the first one is taken (the text never said which). A value already ISO (the demo wrote
them so) is left alone, and so is anything else the upgrade cannot read: the page then
shows it exactly as it was kept, so nothing becomes unreadable. Downgrading writes the ISO
instants back as French text, which the code before this revision shows as it is.

Create Date: 2026-12-02
"""
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision, down_revision = '0007', '0006'

PARIS = ZoneInfo('Europe/Paris')
FRENCH = '%d/%m/%Y %H:%M'
FIELDS = ('starts_at', 'ends_at')
BATCH = 500

revisions = sa.table('appointment_revision', sa.column('id', sa.Integer),
                     sa.column('before', sa.JSON), sa.column('after', sa.JSON))


def _from_french(value: str) -> str:
    try:
        wall_clock = datetime.strptime(value, FRENCH)
    except ValueError:
        return value
    return wall_clock.replace(tzinfo=PARIS).astimezone(UTC).isoformat()


def _to_french(value: str) -> str:
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        return value
    if instant.tzinfo is None:
        return value
    return instant.astimezone(PARIS).strftime(FRENCH)


def _rewrite(convert: Callable[[str], str]) -> None:
    """Pass every date and time of every revision's before/after through ``convert``."""
    connection = op.get_bind()
    last = 0
    while True:
        rows = connection.execute(
            sa.select(revisions.c.id, revisions.c.before, revisions.c.after)
            .where(revisions.c.id > last).order_by(revisions.c.id).limit(BATCH)).all()
        if not rows:
            return
        for row in rows:
            changed = {}
            for column in ('before', 'after'):
                values = getattr(row, column)
                if not isinstance(values, dict):
                    continue
                new = {key: convert(value) if key in FIELDS and isinstance(value, str)
                       else value for key, value in values.items()}
                if new != values:
                    changed[column] = new
            if changed:
                connection.execute(sa.update(revisions).where(revisions.c.id == row.id)
                                   .values(**changed))
        last = rows[-1].id


def upgrade() -> None:
    _rewrite(_from_french)


def downgrade() -> None:
    _rewrite(_to_french)
