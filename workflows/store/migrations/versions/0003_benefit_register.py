"""benefit register

Revision ID: 0003_benefit_register
Revises: 0002_procedure
Create Date: 2026-11-29 05:31:36.673251
"""

import sqlalchemy as sa
from alembic import op

revision = '0003_benefit_register'
down_revision = '0002_procedure'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The benefit register (households on 低保 and every change from a month on); new tables only."""
    op.create_table('benefit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('township_code', sa.String(length=12), nullable=False),
    sa.Column('certificate_no', sa.String(length=40), nullable=False),
    sa.Column('holder_name', sa.String(length=64), nullable=False),
    sa.Column('holder_id_no', sa.String(length=18), nullable=False),
    sa.Column('persons', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('standard_class', sa.String(length=8), nullable=False),
    sa.Column('review_cycle', sa.String(length=16), nullable=False),
    sa.Column('next_review_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('start_month', sa.String(length=7), nullable=False),
    sa.Column('end_month', sa.String(length=7), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_record.id'], name=op.f('fk_benefit_case_id_case_record')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_benefit')),
    sa.UniqueConstraint('case_id', name=op.f('uq_benefit_case_id')),
    sa.UniqueConstraint('certificate_no', name=op.f('uq_benefit_certificate_no'))
    )
    with op.batch_alter_table('benefit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_benefit_holder_id_no'), ['holder_id_no'], unique=False)
        batch_op.create_index(batch_op.f('ix_benefit_next_review_on'), ['next_review_on'], unique=False)
        batch_op.create_index('ix_benefit_township_status', ['township_code', 'status'], unique=False)

    op.create_table('benefit_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('benefit_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('event_seq', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('effective_month', sa.String(length=7), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('persons', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['benefit_id'], ['benefit.id'], name=op.f('fk_benefit_change_benefit_id_benefit')),
    sa.ForeignKeyConstraint(['case_id'], ['case_record.id'], name=op.f('fk_benefit_change_case_id_case_record')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_benefit_change'))
    )
    with op.batch_alter_table('benefit_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_benefit_change_benefit_id'), ['benefit_id'], unique=False)



def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table('benefit_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_benefit_change_benefit_id'))

    op.drop_table('benefit_change')
    with op.batch_alter_table('benefit', schema=None) as batch_op:
        batch_op.drop_index('ix_benefit_township_status')
        batch_op.drop_index(batch_op.f('ix_benefit_next_review_on'))
        batch_op.drop_index(batch_op.f('ix_benefit_holder_id_no'))

    op.drop_table('benefit')
