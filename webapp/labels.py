"""Display labels and filters for templates (Chinese first)."""

from datetime import date, datetime
from decimal import Decimal

from flask import Flask

from workflows.clock import CHINA_TZ
from workflows.documents import CATEGORY_LABELS, RELATION_LABELS

STATUS = {
    "SUBMITTED": "已提交", "ACCEPTING": "待受理", "INVESTIGATING": "入户调查中", "REVIEWING": "待初审",
    "PENDING_DECISION": "待审核确认", "PUBLICIZING": "公示中", "APPROVED": "已批准", "REFUSED": "不予批准",
    "NOT_ACCEPTED": "不予受理", "WITHDRAWN": "已撤回",
}
EVENTS = {
    "application_submitted": "登记申请", "task_completed": "办结环节", "timer_fired": "时限到达",
    "document_issued": "出具文书", "task_claimed": "认领任务", "task_unclaimed": "退回任务",
}
ROLES = {
    "clerk": "窗口受理", "investigator": "入户调查", "reviewer": "乡镇初审", "leader": "审核确认",
    "county_auditor": "区民政局审计", "admin": "系统管理员",
}
ACCESS = {"case_viewed": "查看案件", "document_downloaded": "下载文书", "login": "登录", "login_failed": "登录失败"}
DOCUMENTS = {"approval_notice": "批准通知书（低保证）", "refusal_notice": "不予批准通知书"}
REASONS = {"eligible": "符合条件", "income": "收入超标", "vehicle": "拥有机动车辆", "business": "有经营性市场主体",
           "assets": "金融资产超限"}


def yuan(value) -> str:
    """Money the Chinese way: ¥1,084.00."""
    if value in (None, ""):
        return "—"
    return f"¥{Decimal(str(value)):,.2f}"


def china_time(value) -> str:
    """A datetime shown in China time, a date as is."""
    if isinstance(value, datetime):
        return value.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return value or "—"


def init_app(app: Flask) -> None:
    """Register the labels and filters."""
    app.jinja_env.globals.update(
        STATUS_LABELS=STATUS, EVENT_LABELS=EVENTS, ROLE_LABELS=ROLES, DOCUMENT_LABELS=DOCUMENTS,
        REASON_LABELS=REASONS, ACCESS_LABELS=ACCESS, RELATION_LABELS=RELATION_LABELS, CATEGORY_LABELS=CATEGORY_LABELS,
    )
    app.jinja_env.filters.update(yuan=yuan, china_time=china_time)
