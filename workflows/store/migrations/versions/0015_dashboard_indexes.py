"""dashboard indexes: the 统计看板 and 督导通报 aggregates read case_record's indexes, not its rows

``workflows.dashboard_queries`` counts a district's or a township's applications per township:
- ``ix_case_applied`` (process, applied_on, township): received in a period;
- ``ix_case_decided`` (process, decided_on, township, status, applied_on, case_deadline): approved,
  refused and decided late in a period, and the working days from application to decision, as
  ``GROUP BY`` day counts;
- ``ix_case_open_deadline`` (process, status, township, case_deadline): the open cases per stage and
  those past their case deadline.
- ``benefit_change``: ``ix_benefit_change_benefit_id`` becomes ``ix_benefit_change_benefit_month``
  (benefit, effective_month, id): a benefit's changes in month order, so the households on 低保 of each
  month (``register_by_month``: the month until the next change) are read in index order, not sorted.
Indexes only; no row changes. On PostgreSQL ``CREATE INDEX`` holds a write lock on the table while
it runs; run ``init-db`` in a quiet moment on a large database.

Revision ID: 0015_dashboard_indexes
Revises: 0014_snapshot_compaction
Create Date: 2026-11-29
"""

from alembic import op

revision = '0015_dashboard_indexes'
down_revision = '0014_snapshot_compaction'
branch_labels = None
depends_on = None

INDEXES = {
    'ix_case_applied': ['process_id', 'applied_on', 'township_code'],
    'ix_case_decided': ['process_id', 'decided_on', 'township_code', 'status', 'applied_on', 'case_deadline'],
    'ix_case_open_deadline': ['process_id', 'status', 'township_code', 'case_deadline'],
}


def upgrade() -> None:
    """Add the three indexes of case_record and widen the one of benefit_change (no row changes)."""
    with op.batch_alter_table('case_record', schema=None) as batch_op:
        for name, columns in INDEXES.items():
            batch_op.create_index(name, columns, unique=False)
    with op.batch_alter_table('benefit_change', schema=None) as batch_op:
        batch_op.drop_index('ix_benefit_change_benefit_id')
        batch_op.create_index('ix_benefit_change_benefit_month', ['benefit_id', 'effective_month', 'id'], unique=False)


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table('benefit_change', schema=None) as batch_op:
        batch_op.drop_index('ix_benefit_change_benefit_month')
        batch_op.create_index('ix_benefit_change_benefit_id', ['benefit_id'], unique=False)
    with op.batch_alter_table('case_record', schema=None) as batch_op:
        for name in reversed(INDEXES):
            batch_op.drop_index(name)
