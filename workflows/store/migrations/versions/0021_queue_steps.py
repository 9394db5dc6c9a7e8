"""queue steps: a task queue narrowed to one step is read in due order from an index, and so are its counts
and the steps a queue holds

- ``human_task`` ``ix_human_task_step`` (township, role, task_spec, due_on, created_at, claimed_by_id,
  title): a township's queue at one step, most urgent first, stopping after a page; its counts per view
  (all, mine, unclaimed, overdue, due this week) and the steps of the queue with their titles (the step
  filter's choices), each one index-only pass;
- ``ix_human_task_role_step`` (role, task_spec, …): the same for the county roles, whose queue spans every
  township.
Indexes only; no row changes (``human_task`` holds the open tasks only, so they build in a moment).

Revision ID: 0021_queue_steps
Revises: 0020_visit_cases
Create Date: 2026-11-30
"""

from alembic import op

revision = '0021_queue_steps'
down_revision = '0020_visit_cases'
branch_labels = None
depends_on = None

AFTER_STEP = ['task_spec', 'due_on', 'created_at', 'claimed_by_id', 'title']


def upgrade() -> None:
    """Add the two step indexes of the task queues."""
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.create_index('ix_human_task_step', ['township_code', 'role', *AFTER_STEP], unique=False)
        batch_op.create_index('ix_human_task_role_step', ['role', *AFTER_STEP], unique=False)


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_role_step')
        batch_op.drop_index('ix_human_task_step')
