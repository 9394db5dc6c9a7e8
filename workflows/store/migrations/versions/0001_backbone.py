"""The backbone schema: every table as ``Base.metadata.create_all`` made it before migrations existed.

Written by hand from the models at git commit bf1876b and never to be changed: databases made
then are stamped with this revision (``workflows.store.schema``) and upgraded from here. Types are
SQLAlchemy's own (``UTCDateTime`` is ``DateTime(timezone=True)`` in the database), and every
constraint and index is named as ``workflows.store.base.NAMING`` names it.

Revision ID: 0001_backbone
Revises:
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_backbone"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
# Tables in creation order (a table after those it refers to); dropped in reverse.
TABLES = (
    "chain_anchor", "process_spec", "number_sequence", "setting", "township", "user_account", "api_token",
    "case_record", "access_log", "document", "case_event", "human_task", "person_index", "case_snapshot",
)


def _pk(table: str, *columns: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(*columns, name=f"pk_{table}")


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    target_table, _ = target.split(".")
    return sa.ForeignKeyConstraint([column], [target], name=f"fk_{table}_{column}_{target_table}")


def _uq(table: str, column: str) -> sa.UniqueConstraint:
    return sa.UniqueConstraint(column, name=f"uq_{table}_{column}")


def _index(table: str, column: str) -> None:
    op.create_index(f"ix_{table}_{column}", table, [column])


def _reference_tables() -> None:
    op.create_table(
        "chain_anchor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("root", sa.String(64), nullable=False),
        sa.Column("heads", sa.Text(), nullable=False),
        _pk("chain_anchor", "id"), _uq("chain_anchor", "root"),
    )
    _index("chain_anchor", "at")
    op.create_table(
        "process_spec",
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("process_id", sa.String(64), nullable=False),
        sa.Column("sources", sa.Text(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        _pk("process_spec", "hash"),
    )
    _index("process_spec", "process_id")
    op.create_table(
        "number_sequence",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        _pk("number_sequence", "name"),
    )
    op.create_table(
        "setting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("area_code", sa.String(12), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        _pk("setting", "id"),
    )
    op.create_index("ix_setting_lookup", "setting", ["key", "area_code", "effective_from"], unique=True)
    op.create_table(
        "township",
        sa.Column("code", sa.String(12), nullable=False),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("county_code", sa.String(6), nullable=False),
        sa.Column("county_name", sa.String(60), nullable=False),
        sa.Column("county_gov", sa.String(60), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        _pk("township", "code"),
    )
    _index("township", "county_code")


def _account_tables() -> None:
    op.create_table(
        "user_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(64), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("township_code", sa.String(12), nullable=True),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", TZ, nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        _pk("user_account", "id"), _uq("user_account", "username"),
    )
    _index("user_account", "township_code")
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        _pk("api_token", "id"), _uq("api_token", "token_hash"),
        _fk("api_token", "user_id", "user_account.id"),
    )


def _case_table() -> None:
    op.create_table(
        "case_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_no", sa.String(32), nullable=False),
        sa.Column("process_id", sa.String(64), nullable=False),
        sa.Column("spec_hash", sa.String(64), nullable=False),
        sa.Column("township_code", sa.String(12), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("applicant_name", sa.String(64), nullable=False),
        sa.Column("applicant_id_no", sa.String(18), nullable=False),
        sa.Column("household_size", sa.Integer(), nullable=False),
        sa.Column("amount_total", sa.Numeric(12, 2), nullable=True),
        sa.Column("applied_on", sa.Date(), nullable=False),
        sa.Column("case_deadline", sa.Date(), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("next_timer_at", TZ, nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("last_event_seq", sa.Integer(), nullable=False),
        sa.Column("last_event_hash", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        _pk("case_record", "id"), _uq("case_record", "case_no"),
        _fk("case_record", "spec_hash", "process_spec.hash"),
        _fk("case_record", "created_by_id", "user_account.id"),
    )
    _index("case_record", "applicant_id_no")
    _index("case_record", "next_timer_at")
    op.create_index("ix_case_township_status", "case_record", ["township_code", "status"])


def _case_detail_tables() -> None:
    op.create_table(
        "access_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("target", sa.String(64), nullable=False),
        sa.Column("remote_addr", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        _pk("access_log", "id"),
        _fk("access_log", "user_id", "user_account.id"), _fk("access_log", "case_id", "case_record.id"),
    )
    op.create_index("ix_access_log_case", "access_log", ["case_id", "at"])
    op.create_table(
        "document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("number", sa.String(40), nullable=False),
        sa.Column("verify_code", sa.String(16), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("issued_at", TZ, nullable=False),
        sa.Column("event_seq", sa.Integer(), nullable=False),
        sa.Column("township_code", sa.String(12), nullable=False),
        _pk("document", "id"), _fk("document", "case_id", "case_record.id"),
        _uq("document", "number"), _uq("document", "verify_code"),
    )
    _index("document", "case_id")
    op.create_table(
        "case_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("task_spec", sa.String(64), nullable=True),
        sa.Column("task_id", sa.String(36), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(64), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("state_digest", sa.String(64), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        _pk("case_event", "id"), sa.UniqueConstraint("case_id", "seq", name="uq_case_event_case_seq"),
        _fk("case_event", "case_id", "case_record.id"), _fk("case_event", "actor_id", "user_account.id"),
    )
    _index("case_event", "case_id")
    _index("case_event", "task_id")


def _read_model_tables() -> None:
    op.create_table(
        "human_task",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("task_spec", sa.String(64), nullable=False),
        sa.Column("title", sa.String(120), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("township_code", sa.String(12), nullable=False),
        sa.Column("form", sa.String(128), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("claimed_by_id", sa.Integer(), nullable=True),
        sa.Column("claimed_at", TZ, nullable=True),
        _pk("human_task", "id"),
        _fk("human_task", "case_id", "case_record.id"), _fk("human_task", "claimed_by_id", "user_account.id"),
    )
    op.create_index("ix_human_task_queue", "human_task", ["township_code", "role", "due_on"])
    _index("human_task", "case_id")
    op.create_table(
        "person_index",
        sa.Column("id_no", sa.String(18), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        _pk("person_index", "id_no", "case_id"), _fk("person_index", "case_id", "case_record.id"),
    )
    op.create_table(
        "case_snapshot",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("serializer_version", sa.String(8), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        _pk("case_snapshot", "case_id"), _fk("case_snapshot", "case_id", "case_record.id"),
    )


def upgrade() -> None:
    """Create the backbone tables, their constraints and indexes."""
    _reference_tables()
    _account_tables()
    _case_table()
    _case_detail_tables()
    _read_model_tables()


def downgrade() -> None:
    """Drop every backbone table (and so all data)."""
    for table in reversed(TABLES):
        op.drop_table(table)
