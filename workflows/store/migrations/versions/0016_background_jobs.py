"""background jobs: 后台任务 (replay-verify many cases, archives of issued PDFs, a year's rosters) run by the worker

One row per requested job, with its progress (done/total), its checkpoint, the worker holding it and
that worker's heartbeat (a stale one lets another worker pick the job up), and its result (a JSON
summary, or a file in the document store by SHA-256). New table only.

Revision ID: 0016_background_jobs
Revises: 0015_dashboard_indexes
Create Date: 2026-11-29 09:27:12
"""

import sqlalchemy as sa
from alembic import op

revision = '0016_background_jobs'
down_revision = '0015_dashboard_indexes'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The background_job table and its indexes (claiming, and a person's list)."""
    op.create_table('background_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('township_code', sa.String(length=12), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('state', sa.JSON(), nullable=True),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('result_sha256', sa.String(length=64), nullable=True),
    sa.Column('result_name', sa.String(length=120), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user_account.id'],
                            name=op.f('fk_background_job_requested_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_background_job'))
    )
    with op.batch_alter_table('background_job', schema=None) as batch_op:
        batch_op.create_index('ix_background_job_claim', ['status', 'claimed_by', 'heartbeat_at'], unique=False)
        batch_op.create_index('ix_background_job_requester', ['requested_by_id', 'created_at'], unique=False)


def downgrade() -> None:
    """Drop the table (job results already in the document store stay there)."""
    with op.batch_alter_table('background_job', schema=None) as batch_op:
        batch_op.drop_index('ix_background_job_requester')
        batch_op.drop_index('ix_background_job_claim')
    op.drop_table('background_job')
