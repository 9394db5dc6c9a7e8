"""County spot checks (抽查): the ``spot_check_draw`` table, and ``case_record.subject_case_id``
linking a spot-check case (process dibao_spot_check) to the decided case it checks.

Existing cases are applications and reviews and get NULL.

Revision ID: 0006_spot_checks
Revises: 0005_review_cases
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_spot_checks"
down_revision = "0005_review_cases"
branch_labels = None
depends_on = None

FK = "fk_case_record_subject_case_id_case_record"


def upgrade() -> None:
    """A new table for the draws, and the nullable link; a plain ADD COLUMN on both databases."""
    op.create_table(
        "spot_check_draw",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("township_code", sa.String(length=12), nullable=False),
        sa.Column("drawn_by_id", sa.Integer(), nullable=False),
        sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_from", sa.Date(), nullable=False),
        sa.Column("decided_to", sa.Date(), nullable=False),
        sa.Column("ratio", sa.String(length=16), nullable=False),
        sa.Column("seed", sa.String(length=24), nullable=False),
        sa.Column("population", sa.JSON(), nullable=False),
        sa.Column("sample", sa.JSON(), nullable=False),
        sa.Column("near_relative", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["drawn_by_id"], ["user_account.id"],
                                name="fk_spot_check_draw_drawn_by_id_user_account"),
        sa.PrimaryKeyConstraint("id", name="pk_spot_check_draw"),
    )
    op.create_index("ix_spot_check_draw_township_period", "spot_check_draw", ["township_code", "decided_from"])
    if op.get_bind().dialect.name == "sqlite":  # SQLite adds a foreign key only inline with the column
        op.execute(f"ALTER TABLE case_record ADD COLUMN subject_case_id INTEGER CONSTRAINT {FK} "
                   "REFERENCES case_record (id)")
    else:
        op.add_column("case_record", sa.Column("subject_case_id", sa.Integer(), nullable=True))
        op.create_foreign_key(FK, "case_record", "case_record", ["subject_case_id"], ["id"])
    op.create_index("ix_case_record_subject_case_id", "case_record", ["subject_case_id"])


def downgrade() -> None:
    """Drop the link and the draws."""
    op.drop_index("ix_case_record_subject_case_id", table_name="case_record")
    with op.batch_alter_table("case_record") as batch:
        if op.get_bind().dialect.name != "sqlite":
            batch.drop_constraint(FK, type_="foreignkey")
        batch.drop_column("subject_case_id")
    op.drop_index("ix_spot_check_draw_township_period", table_name="spot_check_draw")
    op.drop_table("spot_check_draw")
