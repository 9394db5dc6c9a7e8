"""temporary assistance: the township reserve fund (乡镇临时救助备用金) and its ledger

Revision ID: 0008_temporary_assistance
Revises: 0007_compressed_snapshots
Create Date: 2026-11-29 06:28:11.509130
"""

import sqlalchemy as sa
from alembic import op

revision = '0008_temporary_assistance'
down_revision = '0007_compressed_snapshots'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The reserve balance per township and its append-only ledger; new tables only (never negative: CHECKs)."""
    op.create_table('reserve_account',
    sa.Column('township_code', sa.String(length=12), nullable=False),
    sa.Column('balance', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('balance >= 0', name=op.f('ck_reserve_account_balance_not_negative')),
    sa.ForeignKeyConstraint(['township_code'], ['township.code'],
                            name=op.f('fk_reserve_account_township_code_township')),
    sa.PrimaryKeyConstraint('township_code', name=op.f('pk_reserve_account'))
    )
    op.create_table('reserve_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('township_code', sa.String(length=12), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('balance_after', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('event_seq', sa.Integer(), nullable=True),
    sa.Column('by_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.CheckConstraint("kind IN ('deposit', 'payment', 'refund')", name=op.f('ck_reserve_entry_kind_known')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_reserve_entry_amount_positive')),
    sa.CheckConstraint('balance_after >= 0', name=op.f('ck_reserve_entry_balance_after_not_negative')),
    sa.ForeignKeyConstraint(['by_id'], ['user_account.id'], name=op.f('fk_reserve_entry_by_id_user_account')),
    sa.ForeignKeyConstraint(['case_id'], ['case_record.id'], name=op.f('fk_reserve_entry_case_id_case_record')),
    sa.ForeignKeyConstraint(['township_code'], ['reserve_account.township_code'],
                            name=op.f('fk_reserve_entry_township_code_reserve_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reserve_entry'))
    )
    with op.batch_alter_table('reserve_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reserve_entry_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_reserve_entry_township_at', ['township_code', 'at'], unique=False)



def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table('reserve_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_reserve_entry_township_at')
        batch_op.drop_index(batch_op.f('ix_reserve_entry_case_id'))

    op.drop_table('reserve_entry')
    op.drop_table('reserve_account')
