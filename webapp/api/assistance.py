"""临时救助 and the township reserve fund (备用金): register a case and list them; balances, a township's
ledger, money paid in (拨入) or returned (退回) by its leader.

Who may do what is decided below the views (``temp_assistance``, ``reserve``): window clerks register;
the township's leaders and reviewers, county auditors and administrators read the reserve (another
township's looks like one that does not exist: 404); only the township's leader moves money in.
Payments are made only by the process step that approves a case (``/tasks/{id}/complete``).
"""

from flask import request, url_for

from workflows import queries, reserve, temp_assistance
from workflows.errors import Invalid
from workflows.store import ReserveEntry

from .. import db, services
from . import bp
from .body import json_body, json_object, locale, page_arg
from .serialize import case_summary, iso, money
from .tokens import api_user

MOVES = {"deposit": reserve.deposit, "refund": reserve.refund}
ENTRY_FIELDS = ("kind", "amount", "note")


@bp.route("/temp-assistance", methods=["POST"])
def create_temp_assistance():
    """Register an application for 临时救助 at the clerk's window: 201 with the case; 409 if one is under way."""
    result = temp_assistance.start(db.session(), api_user(), json_body(), services.get(), locale=locale())
    db.commit()
    body = case_summary(result.case)
    return body, 201, {"Location": body["url"]}


@bp.route("/temp-assistance", methods=["GET"])
def list_temp_assistance():
    """Temporary assistance cases the user may see, newest first: ``status``, ``township`` (county roles), ``page``."""
    page = page_arg()
    rows = temp_assistance.cases(db.session(), api_user(), request.args.get("status") or None,
                                 request.args.get("township") or None, page)
    return {"items": [case_summary(c) for c in rows], "page": page, "per_page": temp_assistance.PAGE_SIZE}


def entry_json(entry: ReserveEntry, case_no: str | None, by: str | None) -> dict:
    """One movement of a township's reserve."""
    return {"id": entry.id, "at": iso(entry.at), "kind": entry.kind, "amount": money(entry.amount),
            "balance_after": money(entry.balance_after), "case_no": case_no, "by": by, "note": entry.note or ""}


@bp.route("/reserve", methods=["GET"])
def list_reserves():
    """The reserve balance of each township the user may read (their own; every one for county roles)."""
    held = reserve.balances(db.session(), api_user())
    return {"items": [{"township_code": code, "balance": money(amount),
                       "url": url_for("api.get_reserve", township=code)} for code, amount in held.items()]}


@bp.route("/reserve/<township>", methods=["GET"])
def get_reserve(township: str):
    """A township's reserve: the balance and every movement, newest first."""
    sess = db.session()
    ledger = queries.reserve_ledger(sess, api_user(), reserve.account_for(sess, api_user(), township).code)
    return {"township_code": township, "balance": money(ledger["balance"]),
            "entries": [entry_json(e, ledger["cases"].get(e.case_id),
                                   ledger["users"][e.by_id].display_name if e.by_id in ledger["users"] else None)
                        for e in ledger["entries"]]}


def _entry_request() -> tuple[str, object, str]:
    body = json_object()
    errors = {key: "不支持的字段" for key in body if key not in ENTRY_FIELDS}
    if body.get("kind") not in MOVES:
        errors["kind"] = "deposit（拨入）或 refund（退回）"
    if not isinstance(body.get("amount"), str | int | float) or isinstance(body.get("amount"), bool):
        errors["amount"] = "金额，如 \"3000.00\""
    if not isinstance(body.get("note", ""), str) or len(body.get("note", "")) > 500:
        errors["note"] = "说明，不超过500字"
    if errors:
        raise Invalid("请求体应为 {\"kind\", \"amount\", \"note\"}",
                      "The body must be {\"kind\", \"amount\", \"note\"}", errors)
    return body["kind"], body["amount"], body.get("note", "").strip()


@bp.route("/reserve/<township>/entries", methods=["POST"])
def move_reserve(township: str):
    """Pay money into the township's reserve (``deposit``) or record money returned (``refund``): its leader only."""
    sess, user = db.session(), api_user()
    reserve.account_for(sess, user, township)  # 404 for another township's staff, 403 for a wrong role
    reserve.check_can_deposit(user, township)
    kind, amount, note = _entry_request()
    entry = MOVES[kind](sess, user, township, amount, note=note)
    db.commit()
    return entry_json(entry, None, user.display_name), 201, {"Location": url_for("api.get_reserve", township=township)}
