"""digest version: how each event's and snapshot's state digest was computed

- ``case_event.digest_version`` and ``case_snapshot.digest_version``: the rule of
  ``workflows.runtime.state_digest`` a digest was made with. Every row written before this revision
  holds a version 1 digest (the JSON of every task's full data) and gets 1, so replay keeps checking
  it by that rule; new steps record version 2 (each task's data as its change from its parent's).
  Version 1 events keep their chain hashes: the version enters an event's hash only from version 2 on.

Revision ID: 0018_digest_version
Revises: 0017_staff_relatives
Create Date: 2026-11-29 11:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0018_digest_version'
down_revision = '0017_staff_relatives'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Two columns, 1 for every existing row."""
    for table in ('case_event', 'case_snapshot'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('digest_version', sa.Integer(), server_default=sa.text('1'), nullable=False))


def downgrade() -> None:
    """Drop the columns. Refused while any version 2 digest exists: without its version, no code could
    tell how it was made, and its event's chain hash (which covers the version) could not be checked."""
    newer = op.get_bind().execute(sa.text(
        "SELECT (SELECT count(*) FROM case_event WHERE digest_version <> 1)"
        " + (SELECT count(*) FROM case_snapshot WHERE digest_version <> 1)")).scalar()
    if newer:
        raise RuntimeError(f"{newer} events or snapshots hold state digests of version 2 or later; "
                           "downgrading would make their chain unverifiable")
    for table in ('case_snapshot', 'case_event'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('digest_version')
