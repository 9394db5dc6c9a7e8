"""Workflow snapshots kept zlib-compressed: ``case_snapshot.state`` becomes binary.

The JSON of a case's workflow state is about 30 KB and compresses about six times; the models
read and write it as text (``CompressedText``). Existing rows are converted in place.

Revision ID: 0007_compressed_snapshots
Revises: 0006_spot_checks
Create Date: 2026-11-29
"""

import zlib

import sqlalchemy as sa
from alembic import op

revision = "0007_compressed_snapshots"
down_revision = "0006_spot_checks"
branch_labels = None
depends_on = None

SNAPSHOTS = sa.table("case_snapshot", sa.column("case_id", sa.Integer()), sa.column("state", sa.Text()),
                     sa.column("state_z", sa.LargeBinary()))


def _convert(source: str, target: str, change) -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.select(SNAPSHOTS.c.case_id, SNAPSHOTS.c[source])).all()
    for case_id, value in rows:
        conn.execute(SNAPSHOTS.update().where(SNAPSHOTS.c.case_id == case_id).values({target: change(value)}))


def upgrade() -> None:
    """Add the binary column, fill it from the text, drop the text and take its name."""
    with op.batch_alter_table("case_snapshot") as batch:
        batch.add_column(sa.Column("state_z", sa.LargeBinary(), nullable=True))
    _convert("state", "state_z", lambda text: zlib.compress(text.encode("utf-8"), 6))
    with op.batch_alter_table("case_snapshot") as batch:
        batch.drop_column("state")
        batch.alter_column("state_z", new_column_name="state", existing_type=sa.LargeBinary(), nullable=False)


def downgrade() -> None:
    """Back to plain text."""
    with op.batch_alter_table("case_snapshot") as batch:
        batch.add_column(sa.Column("state_t", sa.Text(), nullable=True))
    snapshots = sa.table("case_snapshot", sa.column("case_id", sa.Integer()), sa.column("state", sa.LargeBinary()),
                         sa.column("state_t", sa.Text()))
    conn = op.get_bind()
    for case_id, value in conn.execute(sa.select(snapshots.c.case_id, snapshots.c.state)).all():
        conn.execute(snapshots.update().where(snapshots.c.case_id == case_id).values(
            state_t=zlib.decompress(value).decode("utf-8")))
    with op.batch_alter_table("case_snapshot") as batch:
        batch.drop_column("state")
        batch.alter_column("state_t", new_column_name="state", existing_type=sa.Text(), nullable=False)
