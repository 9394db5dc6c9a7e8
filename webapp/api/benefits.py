"""The benefit register (在保家庭): households on 低保, one with its changes and cases, starting a review."""

from flask import request, url_for

from workflows import access, clock, queries, reviews
from workflows.errors import Invalid
from workflows.store import Benefit, BenefitChange

from .. import accesslog, db, services
from . import bp
from .body import json_body, locale, page_arg
from .serialize import case_summary, iso, money, step_json
from .tokens import api_user


def benefit_json(benefit: Benefit) -> dict:
    """A household on 低保 as lists show it (the register's columns)."""
    return {
        "id": benefit.id,
        "certificate_no": benefit.certificate_no,
        "township_code": benefit.township_code,
        "holder_name": benefit.holder_name,
        "holder_id_no": benefit.holder_id_no,
        "persons": benefit.persons,
        "amount": money(benefit.amount),
        "standard_class": benefit.standard_class,
        "review_cycle": benefit.review_cycle,
        "next_review_on": iso(benefit.next_review_on),
        "review_overdue": benefit.status != "TERMINATED" and benefit.next_review_on < clock.today(),
        "status": benefit.status,
        "start_month": benefit.start_month,
        "end_month": benefit.end_month,
        "url": url_for("api.get_benefit", benefit_id=benefit.id),
    }


def change_json(change: BenefitChange, case_no: str) -> dict:
    """One change of a benefit, from its effective month."""
    return {"kind": change.kind, "effective_month": change.effective_month, "amount": money(change.amount),
            "persons": change.persons, "reason": change.reason, "case_no": case_no, "at": iso(change.at)}


@bp.route("/benefits", methods=["GET"])
def list_benefits():
    """Households on 低保 the user may see, by 低保证号: ``status``, ``township`` (county roles), ``q``, ``page``."""
    page = page_arg()
    status = request.args.get("status") or None
    if status is not None and status not in queries.BENEFIT_STATUSES:
        raise Invalid("status 取值无效", "Unknown status", {"status": "one of " + ", ".join(queries.BENEFIT_STATUSES)})
    township = request.args.get("township") or None
    text = request.args.get("q", "").strip()
    rows = queries.benefit_list(db.session(), api_user(), status, township, text, page)
    return {"items": [benefit_json(b) for b in rows], "page": page, "per_page": queries.PAGE_SIZE}


@bp.route("/benefits/<int:benefit_id>", methods=["GET"])
def get_benefit(benefit_id: int):
    """One household on 低保: the register's row, every change, its application and reviews."""
    sess, user = db.session(), api_user()
    benefit = access.benefit_for(sess, user, benefit_id)
    cases = queries.benefit_cases(sess, benefit)
    accesslog.log(user, "benefit_viewed", next(c for c in cases if c.id == benefit.case_id),
                  benefit.certificate_no, channel="api")
    running = queries.running_review(sess, benefit)
    body = benefit_json(benefit)
    body.update(changes=[change_json(c, no) for c, no in queries.benefit_changes(sess, benefit)],
                cases=[case_summary(c) for c in cases], review_running=running.case_no if running else None)
    return body


@bp.route("/benefits/<int:benefit_id>/reviews", methods=["POST"])
def start_review(benefit_id: int):
    """Start a review of the household (the township's clerks): 201 with the review case; 409 if one runs."""
    result = reviews.start_review(db.session(), api_user(), benefit_id, json_body(), services.get(), locale())
    db.commit()
    body = step_json(db.session(), result)
    return body, 201, {"Location": body["case"]["url"]}
