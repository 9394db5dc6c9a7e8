"""Public pages, no login: document verification by code (no personal data shown)."""

from flask import Blueprint, render_template
from flask_babel import get_locale

from workflows import queries

from .. import db
from ..documents import DOCUMENT_KINDS

bp = Blueprint("public", __name__)

#: Each kind as its title is printed on the document (approval and refusal notices, the 一次性告知书,
#: the 公示 list), so the page names exactly what the holder has in hand.
KIND_LABELS = {kind: spec["title_zh"] for kind, spec in DOCUMENT_KINDS.items()}
KIND_LABELS_EN = {kind: spec["title_en"] for kind, spec in DOCUMENT_KINDS.items()}


@bp.route("/verify/<code>")
def verify(code: str):
    """Kind, number, date, issuing township and SHA-256 of a document."""
    found = queries.document_by_code(db.session(), code)
    if found is None:
        return render_template("public/verify.html", doc=None, code=code), 404
    doc, township = found
    labels = KIND_LABELS_EN if str(get_locale()) == "en" else KIND_LABELS
    return render_template("public/verify.html", doc=doc, township=township, kind=labels.get(doc.kind, doc.kind))
