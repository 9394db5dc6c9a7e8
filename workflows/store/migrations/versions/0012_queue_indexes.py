"""queue indexes: the task queues, their counts and the navigation's counts read indexes only

Measured with ``python -m bench queues`` at 1,000,000 cases (docs/performance.md, P3):
- ``human_task`` ``ix_human_task_queue`` gains ``created_at`` and ``claimed_by_id``: a township's
  queue is read in index order (``due_on`` nulls last, ``created_at``) and stops after one page,
  and the four counts of the page (all, mine, unclaimed, overdue) are one index-only scan;
- ``ix_human_task_role_due``: the same for the county roles, whose queue spans every township;
- ``ix_human_task_escalated``: the leader's 逾期督办 count and list (township, escalated_at, role);
- ``benefit`` ``ix_benefit_township_status`` becomes ``ix_benefit_review_due`` (township, status,
  next_review_on, id), and ``case_record`` gets ``ix_case_township_status_benefit`` (township, status,
  benefit_id): the reviews-due count on every page of a clerk is two index ranges (benefits due; the
  township's open review cases), not a scan of every case (it was ``NOT IN`` over all review cases
  ever made). ``ix_case_township_status`` stays as it is: on SQLite its implicit rowid gives the case
  lists their order (``ORDER BY id DESC``) without a sort.
Indexes only; no row changes. On PostgreSQL ``CREATE INDEX`` holds a write lock on the table while
it runs (about a second per 500,000 benefits); run ``init-db`` in a quiet moment on a large database.

Revision ID: 0012_queue_indexes
Revises: 0011_process_upgrades
Create Date: 2026-11-29
"""

from alembic import op

revision = '0012_queue_indexes'
down_revision = '0011_process_upgrades'
branch_labels = None
depends_on = None

QUEUE_BEFORE = ['township_code', 'role', 'due_on']


def upgrade() -> None:
    """Replace the queue and benefit indexes by wider ones and add three (no row changes)."""
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_queue')
        batch_op.create_index('ix_human_task_queue', [*QUEUE_BEFORE, 'created_at', 'claimed_by_id'], unique=False)
        batch_op.create_index('ix_human_task_role_due', ['role', 'due_on', 'created_at', 'claimed_by_id'],
                              unique=False)
        batch_op.create_index('ix_human_task_escalated', ['township_code', 'escalated_at', 'role'], unique=False)
    with op.batch_alter_table('benefit', schema=None) as batch_op:
        batch_op.drop_index('ix_benefit_township_status')
        batch_op.create_index('ix_benefit_review_due', ['township_code', 'status', 'next_review_on', 'id'],
                              unique=False)
    with op.batch_alter_table('case_record', schema=None) as batch_op:
        batch_op.create_index('ix_case_township_status_benefit', ['township_code', 'status', 'benefit_id'],
                              unique=False)


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table('case_record', schema=None) as batch_op:
        batch_op.drop_index('ix_case_township_status_benefit')
    with op.batch_alter_table('benefit', schema=None) as batch_op:
        batch_op.drop_index('ix_benefit_review_due')
        batch_op.create_index('ix_benefit_township_status', ['township_code', 'status'], unique=False)
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_escalated')
        batch_op.drop_index('ix_human_task_role_due')
        batch_op.drop_index('ix_human_task_queue')
        batch_op.create_index('ix_human_task_queue', QUEUE_BEFORE, unique=False)
