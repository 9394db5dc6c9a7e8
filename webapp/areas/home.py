"""The landing page: each role starts where its work is."""

from flask import Blueprint, redirect, url_for
from flask_login import current_user, login_required

bp = Blueprint("home", __name__)

START = {"clerk": "window.index", "county_auditor": "cases.index", "admin": "cases.index"}


@bp.route("/")
@login_required
def index():
    """Send the user to the page their role starts from."""
    return redirect(url_for(START.get(current_user.role, "tasks.queue")))
