"""Make a new schema revision without an alembic.ini: ``python -m workflows.store.migrations new "message"``.

``new`` builds a scratch SQLite database at the newest revision, compares it with the models
(``Base.metadata``) and writes the differences as ``versions/NNNN_<slug>.py`` in batch mode, which
runs on SQLite and PostgreSQL. Read and edit the script before committing it: autogenerate cannot
see renames, and new NOT NULL columns need a ``server_default`` (or a data step) for existing rows.
``new --empty`` writes a blank script for hand-written changes; ``history`` lists the revisions.
"""

import argparse
import re
import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory

from workflows.store import make_engine, schema

MAX_ID = 32  # alembic_version.version_num is VARCHAR(32)


def next_revision_id(message: str) -> str:
    """``NNNN_slug``: one more than the highest number so far, and the message's ASCII words."""
    numbers = [int(s.revision[:4]) for s in ScriptDirectory.from_config(schema.config()).walk_revisions()
               if s.revision[:4].isdigit()]
    prefix = f"{max(numbers, default=0) + 1:04d}"
    slug = re.sub(r"[^a-z0-9]+", "_", message.lower()).strip("_")[: MAX_ID - len(prefix) - 1].rstrip("_")
    return f"{prefix}_{slug}" if slug else prefix


def new_revision(message: str, empty: bool = False) -> Path | None:
    """Write a revision script; with autogenerate, None when the models match the newest revision.

    Args:
        message: What the revision changes (its docstring's first line).
        empty: Write a blank script instead of comparing with the models.

    Returns:
        The script's path, or None if nothing was written.
    """
    with tempfile.TemporaryDirectory() as scratch:
        engine = make_engine(f"sqlite:///{scratch}/scratch.sqlite3")
        try:
            schema.upgrade(engine)
            with engine.begin() as conn:
                cfg = schema.config(conn)
                cfg.attributes["skip_empty"] = True
                script = command.revision(cfg, message, autogenerate=not empty, rev_id=next_revision_id(message))
        finally:
            engine.dispose()
    return Path(script.path) if script else None


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(prog="python -m workflows.store.migrations", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    new = commands.add_parser("new", help="write a revision from the differences between the models and the head")
    new.add_argument("message")
    new.add_argument("--empty", action="store_true", help="a blank script, for changes written by hand")
    commands.add_parser("history", help="list the revisions, newest first")
    args = parser.parse_args(argv)
    if args.command == "history":
        command.history(schema.config())
        return 0
    path = new_revision(args.message, empty=args.empty)
    if path is None:
        print("the models match the newest revision: nothing written (use --empty for a hand-written change)")
        return 1
    print(f"wrote {path}: read it, then test it on SQLite and PostgreSQL (tests/workflows/test_migrations.py)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
