"""The whole township procedure: outside calls, simulated agency records, case and task flags.

- ``outside_call``: outside-data requests a case waits for (the 核对 economic check), claimed by workers;
- ``sim_economic_record``: the simulated agencies' records;
- ``case_record``: ``received_by`` (异地受理), ``near_relative``, ``deadline_extended``, ``objection_count``
  (server defaults false/false/0 fill the rows that exist);
- ``human_task.escalated_at`` (督办);
- ``document.case_id`` nullable: a township's 公示 list is about several cases.

Revision ID: 0002_procedure
Revises: 0001_backbone
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_procedure"
down_revision = "0001_backbone"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def _new_tables() -> None:
    op.create_table(
        "outside_call",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("message", sa.String(64), nullable=False),
        sa.Column("township_code", sa.String(12), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", TZ, nullable=False),
        sa.Column("finished_at", TZ, nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_outside_call"),
        sa.ForeignKeyConstraint(["case_id"], ["case_record.id"], name="fk_outside_call_case_id_case_record"),
        sa.UniqueConstraint("task_id", name="uq_outside_call_task_id"),
    )
    op.create_index("ix_outside_call_case_id", "outside_call", ["case_id"])
    op.create_index("ix_outside_call_due", "outside_call", ["status", "next_attempt_at"])
    op.create_index("ix_outside_call_township_code", "outside_call", ["township_code"])
    op.create_table(
        "sim_economic_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("id_no", sa.String(18), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sim_economic_record"),
    )
    op.create_index("ix_sim_economic_record_id_no", "sim_economic_record", ["id_no"])


def upgrade() -> None:
    """Add the new tables and columns; existing cases get false/false/0 for the new flags."""
    _new_tables()
    # Plain ADD COLUMN on both databases (a batch would copy this much-referenced table on SQLite).
    op.add_column("case_record", sa.Column("received_by", sa.String(12), nullable=True))
    for flag in ("near_relative", "deadline_extended"):
        op.add_column("case_record", sa.Column(flag, sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("case_record", sa.Column("objection_count", sa.Integer(), nullable=False,
                                           server_default=sa.text("0")))
    with op.batch_alter_table("human_task") as batch:
        batch.add_column(sa.Column("escalated_at", TZ, nullable=True))
    with op.batch_alter_table("document") as batch:  # SQLite: the table is copied with the new definition
        batch.alter_column("case_id", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    """Back to the backbone (fails while a document has no case: there was no place for it then)."""
    with op.batch_alter_table("document") as batch:
        batch.alter_column("case_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("human_task") as batch:
        batch.drop_column("escalated_at")
    with op.batch_alter_table("case_record") as batch:
        for column in ("objection_count", "deadline_extended", "near_relative", "received_by"):
            batch.drop_column(column)
    op.drop_table("sim_economic_record")
    op.drop_table("outside_call")
