"""step incidents: steps that failed for a reason nobody typed (a script error, a missing setting)

The step is rolled back; its incident is kept here, shown on the case page and the 故障 list, and
closed by the next successful step of the same kind. New table only.

Revision ID: 0013_step_incidents
Revises: 0012_queue_indexes
Create Date: 2026-11-29 09:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0013_step_incidents'
down_revision = '0012_queue_indexes'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The step_incident table and its indexes."""
    op.create_table('step_incident',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('township_code', sa.String(length=12), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('task_spec', sa.String(length=80), nullable=True),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('next_retry_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case_record.id'], name=op.f('fk_step_incident_case_id_case_record')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_step_incident'))
    )
    with op.batch_alter_table('step_incident', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_step_incident_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_step_incident_township_code'), ['township_code'], unique=False)
        batch_op.create_index('ix_step_incident_open', ['resolved_at', 'case_id'], unique=False)


def downgrade() -> None:
    """Drop the table."""
    with op.batch_alter_table('step_incident', schema=None) as batch_op:
        batch_op.drop_index('ix_step_incident_open')
        batch_op.drop_index(batch_op.f('ix_step_incident_township_code'))
        batch_op.drop_index(batch_op.f('ix_step_incident_case_id'))
    op.drop_table('step_incident')
