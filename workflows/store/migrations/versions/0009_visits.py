"""visits: the key people each township visits monthly (探访对象) and the visits made

Revision ID: 0009_visits
Revises: 0008_temporary_assistance
Create Date: 2026-11-29 06:33:27.427749
"""

import sqlalchemy as sa
from alembic import op

revision = '0009_visits'
down_revision = '0008_temporary_assistance'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Visit targets and visits; new tables only."""
    op.create_table('visit_target',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('township_code', sa.String(length=12), nullable=False),
    sa.Column('id_no', sa.String(length=18), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('benefit_id', sa.Integer(), nullable=True),
    sa.Column('registered_by_id', sa.Integer(), nullable=True),
    sa.Column('since', sa.Date(), nullable=False),
    sa.Column('until', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['benefit_id'], ['benefit.id'], name=op.f('fk_visit_target_benefit_id_benefit')),
    sa.ForeignKeyConstraint(['registered_by_id'], ['user_account.id'],
                            name=op.f('fk_visit_target_registered_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_target')),
    sa.UniqueConstraint('township_code', 'id_no', 'since', name=op.f('uq_visit_target_township_code'))
    )
    with op.batch_alter_table('visit_target', schema=None) as batch_op:
        batch_op.create_index('ix_visit_target_township_until', ['township_code', 'until'], unique=False)

    op.create_table('visit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('township_code', sa.String(length=12), nullable=False),
    sa.Column('visited_on', sa.Date(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=8), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['user_account.id'], name=op.f('fk_visit_staff_id_user_account')),
    sa.ForeignKeyConstraint(['target_id'], ['visit_target.id'], name=op.f('fk_visit_target_id_visit_target')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit'))
    )
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_target_id'), ['target_id'], unique=False)
        batch_op.create_index('ix_visit_township_visited_on', ['township_code', 'visited_on'], unique=False)



def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_index('ix_visit_township_visited_on')
        batch_op.drop_index(batch_op.f('ix_visit_target_id'))

    op.drop_table('visit')
    with op.batch_alter_table('visit_target', schema=None) as batch_op:
        batch_op.drop_index('ix_visit_target_township_until')

    op.drop_table('visit_target')
