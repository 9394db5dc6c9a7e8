"""staff relatives: 近亲属备案 and the people of each case, for the conflict-of-interest check

- ``user_account.id_no``: the staff member's 身份证号 (optional; existing accounts get none);
- ``staff_relative``: the near relatives each staff account registered (ended, never deleted);
- ``case_member``: the ID numbers of each case's household when it opened. Existing cases are filled
  from their first event (the start data it records: ``form.members``); a case whose first event
  names no members (a spot check: its people are its subject's) gets none.

Revision ID: 0017_staff_relatives
Revises: 0016_background_jobs
Create Date: 2026-11-29 09:29:16
"""

import json

import sqlalchemy as sa
from alembic import op

revision = '0017_staff_relatives'
down_revision = '0016_background_jobs'
branch_labels = None
depends_on = None

BATCH = 1000


def _members(data: str) -> set[str]:
    """The ID numbers in a first event's recorded start data."""
    try:
        form = (json.loads(data) or {}).get("form") or {}
    except (ValueError, AttributeError):
        return set()
    members = form.get("members") if isinstance(form, dict) else None
    return {str(m["id_no"]) for m in members or [] if isinstance(m, dict) and m.get("id_no")}


def _fill_case_members() -> None:
    """case_member rows of every existing case, from its first event, in batches by case id."""
    conn = op.get_bind()
    first = sa.text("SELECT case_id, data FROM case_event WHERE seq = 1 AND case_id > :after "
                    "ORDER BY case_id LIMIT :n")
    insert = sa.text("INSERT INTO case_member (case_id, id_no) VALUES (:case_id, :id_no)")
    after = 0
    while True:
        rows = conn.execute(first, {"after": after, "n": BATCH}).all()
        if not rows:
            return
        values = [{"case_id": case_id, "id_no": id_no} for case_id, data in rows for id_no in sorted(_members(data))]
        if values:
            conn.execute(insert, values)
        after = rows[-1][0]


def upgrade() -> None:
    """The two tables and the column; existing cases get their members from their first event."""
    op.create_table('staff_relative',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('id_no', sa.String(length=18), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('relation', sa.String(length=24), nullable=False),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('registered_by_id', sa.Integer(), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_by_id', sa.Integer(), nullable=True),
    sa.Column('end_reason', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['ended_by_id'], ['user_account.id'],
                            name=op.f('fk_staff_relative_ended_by_id_user_account')),
    sa.ForeignKeyConstraint(['registered_by_id'], ['user_account.id'],
                            name=op.f('fk_staff_relative_registered_by_id_user_account')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_staff_relative_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_relative'))
    )
    with op.batch_alter_table('staff_relative', schema=None) as batch_op:
        batch_op.create_index('ix_staff_relative_id_no', ['id_no', 'ended_at'], unique=False)
        batch_op.create_index('ix_staff_relative_user', ['user_id', 'ended_at'], unique=False)

    op.create_table('case_member',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('id_no', sa.String(length=18), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_record.id'], name=op.f('fk_case_member_case_id_case_record')),
    sa.PrimaryKeyConstraint('case_id', 'id_no', name=op.f('pk_case_member'))
    )
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('id_no', sa.String(length=18), nullable=True))
        batch_op.create_index(batch_op.f('ix_user_account_id_no'), ['id_no'], unique=False)
    _fill_case_members()


def downgrade() -> None:
    """Drop the column and the two tables (the register of near relatives is lost)."""
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_account_id_no'))
        batch_op.drop_column('id_no')
    op.drop_table('case_member')
    with op.batch_alter_table('staff_relative', schema=None) as batch_op:
        batch_op.drop_index('ix_staff_relative_user')
        batch_op.drop_index('ix_staff_relative_id_no')
    op.drop_table('staff_relative')
