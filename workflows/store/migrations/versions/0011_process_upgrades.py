"""process upgrades: a process version an administrator loads records the version it replaces

Revision ID: 0011_process_upgrades
Revises: 0010_case_attachments
Create Date: 2026-11-29 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0011_process_upgrades'
down_revision = '0010_case_attachments'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Two nullable columns on process_spec (existing versions are the deployed files': both stay empty)."""
    with op.batch_alter_table('process_spec', schema=None) as batch_op:
        batch_op.add_column(sa.Column('based_on', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('loaded_by', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_process_spec_based_on'), ['based_on'], unique=False)


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table('process_spec', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_process_spec_based_on'))
        batch_op.drop_column('loaded_by')
        batch_op.drop_column('based_on')
