"""setting revision: a number the database redraws on every write of a setting row

``setting.revision`` (random, 0 ≤ n < 2⁴⁰) is set by triggers on every insert and update, whoever
writes (the app, a restore, an SQL console); a delete changes the row count. So the row count and the
sum of revisions change with any change to the table, and a process may keep the settings in memory
and check with one small query that they are still what the database holds (``workflows.settings``).
PostgreSQL: one ``BEFORE INSERT OR UPDATE`` row trigger; SQLite: ``AFTER INSERT`` and ``AFTER UPDATE``
triggers that write the row again (recursive triggers are off, so that write fires nothing).

A later revision that rebuilds ``setting`` on SQLite (``batch_alter_table`` copying the table) drops
its triggers and must create them again (``create_triggers``); ``tests/workflows/test_settings_cache.py``
fails if they are missing.

Revision ID: 0019_setting_revision
Revises: 0018_digest_version
Create Date: 2026-11-29 12:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0019_setting_revision'
down_revision = '0018_digest_version'
branch_labels = None
depends_on = None

SPAN = 1 << 40  # sums of up to 2²³ rows stay within a 64-bit integer

_PG = [
    "CREATE FUNCTION setting_new_revision() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"NEW.revision := floor(random() * {SPAN})::bigint; RETURN NEW; END $$",
    "CREATE TRIGGER setting_revision BEFORE INSERT OR UPDATE ON setting "
    "FOR EACH ROW EXECUTE FUNCTION setting_new_revision()",
]
_PG_DROP = ["DROP TRIGGER IF EXISTS setting_revision ON setting", "DROP FUNCTION IF EXISTS setting_new_revision()"]
_SQLITE = [
    f"CREATE TRIGGER setting_revision_{when} AFTER {when.upper()} ON setting BEGIN "
    f"UPDATE setting SET revision = abs(random() % {SPAN}) WHERE id = NEW.id; END"
    for when in ("insert", "update")
]
_SQLITE_DROP = [f"DROP TRIGGER IF EXISTS setting_revision_{when}" for when in ("insert", "update")]


def create_triggers() -> None:
    """The triggers that draw a new revision on every insert and update of a setting row."""
    for statement in _PG if op.get_bind().dialect.name == "postgresql" else _SQLITE:
        op.execute(statement)


def upgrade() -> None:
    """The column, the triggers, and a drawn revision for every existing row."""
    with op.batch_alter_table('setting', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revision', sa.BigInteger(), server_default=sa.text('0'), nullable=False))
    create_triggers()
    op.execute("UPDATE setting SET revision = 0")  # fires the triggers: every row draws its number


def downgrade() -> None:
    """Drop the triggers and the column."""
    for statement in _PG_DROP if op.get_bind().dialect.name == "postgresql" else _SQLITE_DROP:
        op.execute(statement)
    with op.batch_alter_table('setting', schema=None) as batch_op:
        batch_op.drop_column('revision')
