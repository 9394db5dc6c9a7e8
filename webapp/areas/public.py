"""Public pages, no login: document verification by code (no personal data shown)."""

from flask import Blueprint, render_template

from workflows import queries

from .. import db

bp = Blueprint("public", __name__)

KIND_LABELS = {"approval_notice": "最低生活保障批准通知书", "refusal_notice": "不予批准最低生活保障通知书"}


@bp.route("/verify/<code>")
def verify(code: str):
    """Kind, number, date, issuing township and SHA-256 of a document."""
    found = queries.document_by_code(db.session(), code)
    if found is None:
        return render_template("public/verify.html", doc=None, code=code), 404
    doc, township = found
    return render_template("public/verify.html", doc=doc, township=township, kind=KIND_LABELS.get(doc.kind, doc.kind))
