"""流程版本: administrators see each process's versions and the cases on them, load a new version
(BPMN, DMN and form files), see the dry run of moving the running cases to a version, and move
the cases that can move (one transaction per case, each recorded in its history)."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext

from workflows import process_versions, upgrades
from workflows.errors import DomainError

from .. import db
from ..auth import account, roles_required

bp = Blueprint("processes", __name__, url_prefix="/processes")


def _render_index(status: int = 200):
    return render_template("processes/index.html", processes=process_versions.versions(db.session())), status


@bp.route("/")
@roles_required("admin")
def index():
    """Every process with its versions (the one new cases start on marked) and the upload form."""
    return _render_index()


@bp.route("/", methods=["POST"])
@roles_required("admin")
def upload():
    """Load a new version from the uploaded files; on success show its dry run."""
    sess = db.session()
    files = {f.filename: f.read() for f in request.files.getlist("files") if f.filename}
    try:
        loaded = upgrades.load_version(sess, files, account())
    except DomainError as err:
        sess.rollback()
        flash(err.message(str(get_locale())), "error")
        return _render_index(422)
    db.commit()
    names = gettext("、").join(gettext("%(name)s（%(id)s）", name=x.version.process_id, id=x.version.hash[:12])
                              for x in loaded)
    flash(gettext("已载入新版本：%(names)s。新登记的案件将使用新版本", names=names), "success")
    return redirect(url_for("processes.show", digest=loaded[0].version.hash))


@bp.route("/<digest>")
@roles_required("admin")
def show(digest: str):
    """One version: what it changed, and the dry run of moving the running cases on other versions to it."""
    sess = db.session()
    row = process_versions.version_row(sess, digest)
    return render_template(
        "processes/show.html", version=row, previous=process_versions.previous(sess, row),
        changes=process_versions.changes_since(sess, row), plan=upgrades.plan(sess, row.process_id, digest),
    )


@bp.route("/<digest>/migrate", methods=["POST"])
@roles_required("admin")
def migrate(digest: str):
    """Move every running case that can move to this version, one transaction each."""
    sess = db.session()
    row = process_versions.version_row(sess, digest)
    plan = upgrades.plan(sess, row.process_id, digest)
    sess.rollback()  # the dry run wrote nothing; each case is moved in a transaction of its own
    results = upgrades.migrate(db.factory(), plan, account())
    moved = sum(r.movable for r in results)
    stayed = len(plan.cases) - moved
    flash(gettext("已迁移 %(moved)s 件案件；%(stayed)s 件仍在原版本上", moved=moved, stayed=stayed),
          "success" if not stayed else "error")
    return redirect(url_for("processes.show", digest=digest))
