"""visit cases: 探访 as a process, and who ended a visit target, when and why

- ``visit_case``: which visit case (process ``dibao_visit``) is about which target and month; unique
  per target, month and number in the month (the month's scheduled visit is number 1);
- ``visit_schedule_run``: the day each township's visits were last scheduled by the worker;
- ``visit.case_id``: the visit case whose completed task wrote the visit (existing visits, recorded
  before visits were a process, get none and still count for their month);
- ``visit_target.ended_by_id``, ``ended_at``, ``end_reason``: a target ended by hand wrote these only
  into its note text (``2026-12-10 <staff> 结束探访（最后探访日 …）：<reason>``); the columns are filled
  from that line where it is found (``ended_by_id`` when the staff name names one account), and the
  line is left in the note.

Revision ID: 0020_visit_cases
Revises: 0019_setting_revision
Create Date: 2026-11-29 11:29:02
"""

import re
from datetime import UTC, date, datetime, time, timedelta, timezone

import sqlalchemy as sa
from alembic import op

revision = '0020_visit_cases'
down_revision = '0019_setting_revision'
branch_labels = None
depends_on = None

CHINA = timezone(timedelta(hours=8))
ENDED = re.compile(r"^(\d{4}-\d{2}-\d{2}) (.+?) 结束探访（最后探访日 \d{4}-\d{2}-\d{2}）：(.*)$")


def _ended_from_notes() -> None:
    """Fill the new columns of targets ended by hand from the line their end appended to the note."""
    conn = op.get_bind()
    targets = sa.table('visit_target', sa.column('id', sa.Integer()), sa.column('note', sa.Text()),
                       sa.column('until', sa.Date()), sa.column('ended_by_id', sa.Integer()),
                       sa.column('ended_at', sa.DateTime(timezone=True)), sa.column('end_reason', sa.String(500)))
    users = sa.table('user_account', sa.column('id', sa.Integer()), sa.column('display_name', sa.String(64)))
    by_name: dict[str, list[int]] = {}
    for user_id, name in conn.execute(sa.select(users.c.id, users.c.display_name)):
        by_name.setdefault(name, []).append(user_id)
    rows = conn.execute(sa.select(targets.c.id, targets.c.note).where(targets.c.until.is_not(None))).all()
    for target_id, note in rows:
        found = [m for m in map(ENDED.match, (note or "").splitlines()) if m]
        if not found:
            continue
        day, staff, reason = found[-1].groups()
        ids = by_name.get(staff, [])
        ended_at = datetime.combine(date.fromisoformat(day), time(0), CHINA).astimezone(UTC)
        conn.execute(targets.update().where(targets.c.id == target_id).values(
            ended_at=ended_at, end_reason=reason[:500], ended_by_id=ids[0] if len(ids) == 1 else None))


def upgrade() -> None:
    """The two tables and the columns; targets ended by hand get their end from their note."""
    op.create_table('visit_schedule_run',
    sa.Column('township_code', sa.String(length=12), nullable=False),
    sa.Column('scheduled_on', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('township_code', name=op.f('pk_visit_schedule_run'))
    )
    op.create_table('visit_case',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('township_code', sa.String(length=12), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_record.id'], name=op.f('fk_visit_case_case_id_case_record')),
    sa.ForeignKeyConstraint(['target_id'], ['visit_target.id'], name=op.f('fk_visit_case_target_id_visit_target')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_case')),
    sa.UniqueConstraint('case_id', name=op.f('uq_visit_case_case_id')),
    sa.UniqueConstraint('target_id', 'month', 'seq', name=op.f('uq_visit_case_target_id'))
    )
    with op.batch_alter_table('visit_case', schema=None) as batch_op:
        batch_op.create_index('ix_visit_case_township_month', ['township_code', 'month'], unique=False)

    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('case_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_visit_case_id'), ['case_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_visit_case_id_case_record'), 'case_record', ['case_id'], ['id'])

    with op.batch_alter_table('visit_target', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ended_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('end_reason', sa.String(length=500), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_visit_target_ended_by_id_user_account'), 'user_account',
                                    ['ended_by_id'], ['id'])
    _ended_from_notes()


def downgrade() -> None:
    """Drop the columns and the two tables (visits keep their rows; which case wrote them is lost)."""
    with op.batch_alter_table('visit_target', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_visit_target_ended_by_id_user_account'), type_='foreignkey')
        batch_op.drop_column('end_reason')
        batch_op.drop_column('ended_at')
        batch_op.drop_column('ended_by_id')

    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_visit_case_id_case_record'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_visit_case_id'))
        batch_op.drop_column('case_id')

    with op.batch_alter_table('visit_case', schema=None) as batch_op:
        batch_op.drop_index('ix_visit_case_township_month')

    op.drop_table('visit_case')
    op.drop_table('visit_schedule_run')
