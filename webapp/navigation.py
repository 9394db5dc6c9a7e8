"""The top navigation, grouped: daily work (工作) stays in the bar, the rest opens from a few menus
(台账, 监督, 审计, 管理), each showing only the pages the user's role may open; and the heading printed
at the top of every page (the township, when and by whom it was printed).

A menu with a single page for a role is shown as that page's link. The counts (tasks waiting, cases
waiting for 公示, escalated tasks, reviews due) stay beside their links, and a closed menu shows the
sum of its counts so nothing waiting is hidden.
"""

from dataclasses import dataclass, field

from flask import Flask, g, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from workflows import clock
from workflows.i18n import N_
from workflows.store import Township

from . import db, readside

STAFF = ("clerk", "investigator", "reviewer", "leader")
TASK_WORKERS = (*STAFF, "county_auditor")
EVERYONE = (*TASK_WORKERS, "admin")
READERS = ("reviewer", "leader", "county_auditor", "admin")  # rosters, reserve, dashboard, background jobs
COUNTY = ("county_auditor", "admin")


@dataclass(frozen=True)
class Link:
    """A page in the navigation: its endpoint, label, who sees it, and the key of its count (if any).

    A link with a count is shown only when the role has that count (``readside.nav_counts``).
    """

    endpoint: str
    label: str
    roles: tuple[str, ...]
    count: str | None = None


@dataclass
class Group:
    """One menu of the navigation (``inline``: its links sit in the bar itself)."""

    label: str
    links: list[Link]
    inline: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    current: str | None = None  # the endpoint of the page shown

    @property
    def here(self) -> bool:
        """Whether the page shown is one of the menu's."""
        return any(link.endpoint == self.current for link in self.links)

    @property
    def total(self) -> int:
        """What the menu's links count together (shown on the closed menu)."""
        return sum(self.counts.get(link.count, 0) for link in self.links if link.count)


MENU = (
    (N_("工作"), True, (
        Link("window.index", N_("窗口受理"), ("clerk",)),
        Link("window.new", N_("登记申请"), ("clerk",)),
        Link("window.new_temp_assistance", N_("临时救助申请"), ("clerk",)),
        Link("tasks.queue", N_("待办任务"), TASK_WORKERS, "tasks"),
        Link("notices.index", N_("公示批次"), ("reviewer", "leader"), "awaiting_notice"),
        Link("benefits.due", N_("待复核"), ("clerk",), "reviews_due"),
        Link("visits.index", N_("探访"), EVERYONE),
    )),
    (N_("台账"), False, (
        Link("cases.index", N_("案件查询"), EVERYONE),
        Link("benefits.index", N_("在保家庭"), EVERYONE),
        Link("rosters.index", N_("发放花名册"), READERS),
        Link("reserve.index", N_("备用金"), READERS),
    )),
    (N_("监督"), False, (
        Link("tasks.escalated", N_("逾期督办"), ("leader",), "escalated"),
        Link("dashboard.index", N_("统计看板"), READERS),
    )),
    (N_("审计"), False, (
        Link("spot_checks.index", N_("抽查"), COUNTY),
        Link("audit.anchors_index", N_("锚点"), COUNTY),
    )),
    (N_("管理"), False, (
        Link("jobs.index", N_("后台任务"), READERS),
        Link("incidents.index", N_("故障"), COUNTY),
        Link("processes.index", N_("流程版本"), ("admin",)),
        Link("relatives.index", N_("近亲属备案"), EVERYONE),
    )),
)


def menu_for(role: str, counts: dict[str, int], current: str | None = None) -> list[Group]:
    """The navigation of a role: its groups in order, each with the links the role may open.

    Args:
        role: the user's role.
        counts: ``readside.nav_counts`` of the user (a counted link is shown only with its count).
        current: the endpoint of the page shown (marked ``aria-current``).
    """
    groups = []
    for label, inline, links in MENU:
        mine = [link for link in links if role in link.roles and (link.count is None or link.count in counts)]
        if mine:
            groups.append(Group(label, mine, inline or len(mine) == 1, counts, current))
    return groups


def nav_counts() -> dict[str, int]:
    """The signed-in user's navigation counts, queried once per request (empty after a failed transaction)."""
    if "nav_counts" not in g:
        try:
            g.nav_counts = readside.nav_counts(db.session(), current_user.account, g.get("queue_total")) \
                if current_user.is_authenticated else {}
        except SQLAlchemyError:  # an error page after a failed transaction still renders
            g.nav_counts = {}
    return g.nav_counts


def nav_menu() -> list[Group]:
    """The signed-in user's navigation (see :func:`menu_for`)."""
    return menu_for(current_user.role, nav_counts(), request.endpoint) if current_user.is_authenticated else []


def page_url(page: int) -> str:
    """The page shown, at another page of its list: every filter and sort of the query string is kept."""
    args = request.args.to_dict(flat=False)
    args["page"] = [str(page)]
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def page_numbers(page: int, pages: int, around: int = 2) -> list[int | None]:
    """The page numbers a pager shows: the first, the last and ``around`` each side of ``page``;
    None where numbers are left out (shown as …)."""
    shown = sorted({1, pages, *range(max(1, page - around), min(pages, page + around) + 1)})
    numbers: list[int | None] = []
    for n in shown:
        if numbers and n - numbers[-1] > 1:
            numbers.append(None)
        numbers.append(n)
    return numbers


def print_heading() -> dict:
    """What the printed page's heading says: the unit (the user's township, or the county for county
    roles), the time printed (China time) and who printed it."""
    unit = ""
    try:
        sess = db.session()
        if current_user.is_authenticated and current_user.township_code:
            township = sess.get(Township, current_user.township_code)
            unit = township.name if township else current_user.township_code
        else:
            unit = "、".join(sess.scalars(select(Township.county_name).distinct().order_by(Township.county_name)))
    except SQLAlchemyError:
        unit = ""
    who = current_user.display_name if current_user.is_authenticated else ""
    return {"unit": unit, "at": clock.now(), "who": who}


def init_app(app: Flask) -> None:
    """Make the menu, its counts, the pager's links and the printed heading available to the templates."""
    app.jinja_env.globals.update(nav_menu=nav_menu, nav_counts=nav_counts, page_url=page_url,
                                 page_numbers=page_numbers, print_heading=print_heading)
