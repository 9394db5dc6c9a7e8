"""County spot checks (区级抽查): the draws, drawing a sample, and one draw with its checks.

County auditors draw; they and administrators read the draws (``spot_checks`` decides). The checks
themselves are tasks (``/tasks``) of the auditors' queues.
"""

from datetime import date

from flask import request, url_for

from workflows import queries, spot_checks
from workflows.errors import Invalid
from workflows.store import SpotCheckDraw

from .. import db, services
from . import bp
from .body import json_object
from .serialize import case_summary, iso
from .tokens import api_user

FIELDS = ("township", "decided_from", "decided_to")


def draw_json(row: SpotCheckDraw, drawn_by: str | None) -> dict:
    """A draw as lists show it: who, when, the period, the ratio and seed, the population and sample."""
    return {
        "id": row.id, "township_code": row.township_code, "drawn_by": drawn_by, "drawn_at": iso(row.drawn_at),
        "decided_from": iso(row.decided_from), "decided_to": iso(row.decided_to), "ratio": row.ratio,
        "seed": row.seed, "population": list(row.population), "near_relative": list(row.near_relative),
        "sample": list(row.sample), "url": url_for("api.get_spot_check", draw_id=row.id),
    }


def _drawer_names(rows: list[SpotCheckDraw]) -> dict[int, str]:
    users = queries.users_by_id(db.session(), [r.drawn_by_id for r in rows])
    return {uid: u.display_name for uid, u in users.items()}


def _detail(row: SpotCheckDraw) -> dict:
    sess = db.session()
    body = draw_json(row, _drawer_names([row]).get(row.drawn_by_id))
    body.update(reproduces=spot_checks.reproduce(row) == row.sample, problems=spot_checks.check_draw(sess, row),
                checks=[case_summary(c) for c in spot_checks.checks_of(sess, row)])
    return body


def _request() -> tuple[str, date, date]:
    """The body ``{"township", "decided_from", "decided_to"}``: 422 with a message per wrong field."""
    body = json_object()
    errors = {key: "不支持的字段" for key in body if key not in FIELDS}
    if not isinstance(body.get("township"), str) or not body.get("township"):
        errors["township"] = "乡镇（街道）代码（9 位）"
    days = {}
    for name in ("decided_from", "decided_to"):
        try:
            days[name] = date.fromisoformat(body.get(name))
        except (TypeError, ValueError):
            errors[name] = "日期，格式为 YYYY-MM-DD"
    if errors:
        raise Invalid("请求体应为 {\"township\", \"decided_from\", \"decided_to\"}",
                      "The body must be {\"township\", \"decided_from\", \"decided_to\"}", errors)
    return body["township"], days["decided_from"], days["decided_to"]


@bp.route("/spot-checks", methods=["GET"])
def list_spot_checks():
    """The draws made so far, newest first (county auditors, admins); ``township`` narrows them."""
    rows = spot_checks.draws(db.session(), api_user(), request.args.get("township") or None)
    names = _drawer_names(rows)
    return {"items": [draw_json(r, names.get(r.drawn_by_id)) for r in rows]}


@bp.route("/spot-checks", methods=["POST"])
def create_spot_check():
    """Draw a sample of a township's decisions in a past period (county auditors): 201 with the draw.

    409 if the period overlaps an earlier draw of the township or nothing was decided in it.
    """
    user = api_user()
    spot_checks.check_can_draw(db.session(), user)  # a wrong role hears 403 before its body is judged
    township, decided_from, decided_to = _request()
    row = spot_checks.draw(db.session(), user, township, decided_from, decided_to, services.get())
    db.commit()
    body = _detail(row)
    return body, 201, {"Location": body["url"]}


@bp.route("/spot-checks/<int:draw_id>", methods=["GET"])
def get_spot_check(draw_id: int):
    """One draw with its spot checks, whether it reproduces and what checking it found."""
    return _detail(spot_checks.draw_for(db.session(), api_user(), draw_id))
