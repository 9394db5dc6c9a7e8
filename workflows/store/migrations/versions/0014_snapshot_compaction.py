"""snapshot compaction: when a finished case's workflow snapshot was reduced to its final data

Revision ID: 0014_snapshot_compaction
Revises: 0013_step_incidents
Create Date: 2026-11-29 09:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0014_snapshot_compaction'
down_revision = '0013_step_incidents'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """A nullable column: existing snapshots are full ones."""
    with op.batch_alter_table('case_snapshot', schema=None) as batch_op:
        batch_op.add_column(sa.Column('compacted_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Drop the column (compacted snapshots stay compacted: replay rebuilds them)."""
    with op.batch_alter_table('case_snapshot', schema=None) as batch_op:
        batch_op.drop_column('compacted_at')
