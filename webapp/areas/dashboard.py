"""统计看板: the procedure's figures per township and for the district, as charts (Chart.js, vendored) with
the same numbers in tables beside them; the Excel export of every table; and the 督导通报 (周督导 for a
week, 月通报 for a month) as a numbered PDF. Township leaders and reviewers see their own township;
county auditors and administrators the district, or one township they pick."""

from decimal import Decimal

from flask import Blueprint, Response, render_template, request
from flask_babel import get_locale, gettext

from workflows import dashboard, dashboard_export, dashboard_queries, queries
from workflows.errors import Invalid

from .. import accesslog, db, labels, services
from ..auth import account, roles_required
from ..downloads import XLSX, disposition

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

VIEWERS = (*dashboard.TOWNSHIP_ROLES, *dashboard.COUNTY_ROLES)
KINDS = ("month", "week")


def _asked() -> dict:
    """The period and township asked for: ``period`` (month / week), ``month``, ``week``, ``township``."""
    asked = {key: request.args.get(key, "").strip() for key in ("period", "month", "week", "township")}
    asked["period"] = asked["period"] or "month"
    return asked


def _report(asked: dict) -> dict:
    """The figures asked for (Invalid for a bad period; Forbidden / NotFound for a township not the user's)."""
    period = dashboard.period_of(asked["period"], asked.get(asked["period"], "") if asked["period"] in KINDS else "")
    return dashboard.report(db.session(), account(), period, asked["township"] or None)


def _number(value) -> float | int | None:
    return float(value) if isinstance(value, Decimal) else value


def chart_data(data: dict) -> dict:
    """What the charts draw (dashboard.js), as plain JSON: the same figures the tables show."""
    rows = data["rows"]
    stages = dashboard_queries.STAGES
    return {
        "stages": {"labels": [gettext(labels.STATUS[s]) for s in stages],
                   "counts": [data["totals"]["stages"].get(s, 0) for s in stages]},
        "townships": {"labels": [r["township_name"] for r in rows],
                      "received": [r["received"] for r in rows], "decided": [r["decided"] for r in rows],
                      "overdue": [r["overdue_open"] for r in rows], "late": [r["late"] for r in rows],
                      "average_days": [_number(r["average_days"]) for r in rows],
                      "visit_rate": [_number(r["visit_rate"] * 100) for r in rows]},
        "monthly": {"labels": [m["month"] for m in data["monthly"]],
                    "approved": [m["approved"] for m in data["monthly"]],
                    "refused": [m["refused"] for m in data["monthly"]]},
        "register": {"labels": [m["month"] for m in data["register_trend"]],
                     "households": [m["households"] for m in data["register_trend"]],
                     "amount": [_number(m["amount"]) for m in data["register_trend"]]},
        "text": {"received": gettext("新受理"), "decided": gettext("审结"), "overdue": gettext("逾期在办"),
                 "late": gettext("逾期办结"), "approved": gettext("批准"), "refused": gettext("不予批准"),
                 "open": gettext("在办（件）"), "average_days": gettext("平均办理工作日"),
                 "visit_rate": gettext("探访率（%）"), "households": gettext("在保户数"),
                 "amount": gettext("月保障金（元）")},
    }


@bp.route("/")
@roles_required(*VIEWERS)
def index():
    """The dashboard of the period asked for (this month by default), with the period and township form."""
    asked, errors, data, status = _asked(), {}, None, 200
    try:
        data = _report(asked)
    except Invalid as err:
        errors = {key: err.message(str(get_locale())) for key in err.details} or {"period": err.message()}
        status = 422
    user = account()
    towns = [] if user.is_township_staff else list(queries.townships(db.session()).values())
    period = data["period"] if data else None
    values = {kind: period.key if period and period.kind == kind else asked[kind] for kind in KINDS}
    period_links = {"period": period.kind, period.kind: period.key} if period else {}
    links = dict(period_links, **({"township": asked["township"]} if asked["township"] else {}))
    return render_template("dashboard/index.html", data=data, asked=asked, errors=errors, townships=towns,
                           values=values, links=links, period_links=period_links, stages=dashboard_queries.STAGES,
                           period_label=period_label(period) if period else "",
                           charts=chart_data(data) if data else None), status


def period_label(period: dashboard.Period) -> str:
    """The period in the user's language: 2026年11月 / 2026年第48周（2026-11-23至2026-11-29）."""
    if period.kind == "month":
        return gettext("%(year)s年%(month)s月", year=period.first.year, month=period.first.month)
    year, week = period.first.isocalendar()[:2]
    return gettext("%(year)s年第%(week)s周（%(first)s至%(last)s）", year=year, week=week,
                   first=period.first.isoformat(), last=period.last.isoformat())


def _download_args(data: dict) -> str:
    return f"{data['scope'].code}-{data['period'].key}"


@bp.route("/export.xlsx")
@roles_required(*VIEWERS)
def export():
    """Every table of the dashboard as an Excel workbook, one sheet per table (logged as a download)."""
    user, data = account(), _report(_asked())
    body = dashboard_export.workbook_bytes(data, user.display_name, labels.STATUS)
    ascii_name = f"DB-{_download_args(data)}.xlsx"
    accesslog.log(user, "document_downloaded", None, ascii_name)
    header = disposition("attachment", ascii_name, f"{dashboard_export.title(data)}.xlsx")
    return Response(body, mimetype=XLSX, headers={"Content-Disposition": header})


@bp.route("/report.pdf")
@roles_required(*VIEWERS)
def report_document():
    """The 督导通报 of the week or month as a PDF: issued as a numbered, verifiable document, logged as a download."""
    user, data = account(), _report(_asked())
    doc = dashboard_export.issue_pdf(db.session(), user, data, services.get(), labels.STATUS)
    db.commit()
    accesslog.log(user, "document_downloaded", None, doc.number)
    name = f"{data['scope'].name}{data['period'].label}{dashboard_export.PERIOD_NAMES[data['period'].kind]}.pdf"
    header = disposition("attachment", f"{doc.number}.pdf", name)
    return Response(services.get().store.get(doc.sha256), mimetype="application/pdf",
                    headers={"Content-Disposition": header})
