"""Review cases: ``case_record.benefit_id`` links a review (process dibao_review) to the benefit it is about.

Existing cases are applications and get NULL.

Revision ID: 0005_review_cases
Revises: 0004_payment_roster
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_review_cases"
down_revision = "0004_payment_roster"
branch_labels = None
depends_on = None

FK = "fk_case_record_benefit_id_benefit"


def upgrade() -> None:
    """Add the nullable link; a plain ADD COLUMN on both databases (no copy of the much-referenced table)."""
    if op.get_bind().dialect.name == "sqlite":  # SQLite adds a foreign key only inline with the column
        op.execute(f"ALTER TABLE case_record ADD COLUMN benefit_id INTEGER CONSTRAINT {FK} REFERENCES benefit (id)")
    else:
        op.add_column("case_record", sa.Column("benefit_id", sa.Integer(), nullable=True))
        op.create_foreign_key(FK, "case_record", "benefit", ["benefit_id"], ["id"])
    op.create_index("ix_case_record_benefit_id", "case_record", ["benefit_id"])


def downgrade() -> None:
    """Drop the link."""
    op.drop_index("ix_case_record_benefit_id", table_name="case_record")
    with op.batch_alter_table("case_record") as batch:
        if op.get_bind().dialect.name != "sqlite":
            batch.drop_constraint(FK, type_="foreignkey")
        batch.drop_column("benefit_id")
