"""case attachments: the scans (材料扫描件) attached to a case, stored by SHA-256

Revision ID: 0010_case_attachments
Revises: 0009_visits
Create Date: 2026-11-29 08:42:40.950950
"""

import sqlalchemy as sa
from alembic import op

revision = '0010_case_attachments'
down_revision = '0009_visits'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The case_attachment table; a new table only (existing cases have no attachments)."""
    op.create_table('case_attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('material', sa.String(length=32), nullable=False),
    sa.Column('filename', sa.String(length=160), nullable=False),
    sa.Column('content_type', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_key', sa.String(length=128), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('event_seq', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_record.id'], name=op.f('fk_case_attachment_case_id_case_record')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'],
                            name=op.f('fk_case_attachment_uploaded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_attachment')),
    sa.UniqueConstraint('case_id', 'sha256', 'material', name=op.f('uq_case_attachment_case_id'))
    )
    with op.batch_alter_table('case_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_attachment_case_id'), ['case_id'], unique=False)



def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table('case_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_attachment_case_id'))

    op.drop_table('case_attachment')
