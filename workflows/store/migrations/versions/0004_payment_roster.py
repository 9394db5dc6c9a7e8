"""payment roster

Revision ID: 0004_payment_roster
Revises: 0003_benefit_register
Create Date: 2026-11-29 05:37:13.203219
"""

import sqlalchemy as sa
from alembic import op

revision = '0004_payment_roster'
down_revision = '0003_benefit_register'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Monthly payment rosters (issued once per township and month) and their lines; new tables only."""
    op.create_table('payment_roster',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('township_code', sa.String(length=12), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=False),
    sa.Column('households', sa.Integer(), nullable=False),
    sa.Column('persons', sa.Integer(), nullable=False),
    sa.Column('total', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('xlsx_sha256', sa.String(length=64), nullable=False),
    sa.Column('pdf_number', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['issued_by_id'], ['user_account.id'],
                            name=op.f('fk_payment_roster_issued_by_id_user_account')),
    sa.ForeignKeyConstraint(['pdf_number'], ['document.number'], name=op.f('fk_payment_roster_pdf_number_document')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_roster')),
    sa.UniqueConstraint('pdf_number', name=op.f('uq_payment_roster_pdf_number')),
    sa.UniqueConstraint('township_code', 'month', name=op.f('uq_payment_roster_township_code'))
    )
    op.create_table('payment_roster_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('roster_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('benefit_id', sa.Integer(), nullable=False),
    sa.Column('certificate_no', sa.String(length=40), nullable=False),
    sa.Column('holder_name', sa.String(length=64), nullable=False),
    sa.Column('holder_id_masked', sa.String(length=18), nullable=False),
    sa.Column('persons', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('standard_class', sa.String(length=8), nullable=False),
    sa.ForeignKeyConstraint(['benefit_id'], ['benefit.id'], name=op.f('fk_payment_roster_line_benefit_id_benefit')),
    sa.ForeignKeyConstraint(['roster_id'], ['payment_roster.id'],
                            name=op.f('fk_payment_roster_line_roster_id_payment_roster')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_roster_line')),
    sa.UniqueConstraint('roster_id', 'benefit_id', name=op.f('uq_payment_roster_line_roster_id'))
    )
    with op.batch_alter_table('payment_roster_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_roster_line_benefit_id'), ['benefit_id'], unique=False)



def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table('payment_roster_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_roster_line_benefit_id'))

    op.drop_table('payment_roster_line')
    op.drop_table('payment_roster')
