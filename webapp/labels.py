"""Display labels and filters for templates (Chinese first)."""

from datetime import date, datetime
from decimal import Decimal

from flask import Flask

from workflows.clock import CHINA_TZ
from workflows.documents import CATEGORY_LABELS, OUTCOME_LABELS, PAID_BY_LABELS, RELATION_LABELS, TEMP_TYPE_LABELS

STATUS = {
    "SUBMITTED": "已提交", "ACCEPTING": "待受理", "WAITING_MATERIALS": "待补正材料",
    "VERIFYING": "经济状况核对中", "INVESTIGATING": "入户调查中", "DELIBERATING": "民主评议中",
    "REVIEWING": "待初审", "COUNTY_CHECK": "区民政局核查中", "AWAITING_NOTICE": "待公示",
    "PUBLICIZING": "公示中", "PENDING_DECISION": "待审核确认", "APPROVED": "已批准",
    "REFUSED": "不予批准", "NOT_ACCEPTED": "不予受理", "WITHDRAWN": "已撤回",
    # a review of a household on 低保 (dibao_review)
    "REVIEW_STARTED": "已启动复核", "PHASING_OUT": "渐退期", "REVIEWED": "复核完成", "EXITED": "已退出低保",
    # a county spot check of a decided case (dibao_spot_check)
    "SPOT_CHECK": "区级抽查中", "CHECKED": "抽查属实", "CHECK_PROBLEM": "抽查发现问题",
    # temporary assistance (temp_assistance)
    "EMERGENCY_DECISION": "待先行救助审批", "PAPERWORK": "待补办手续", "COUNTY_APPROVAL": "待区民政局审批",
    "PAID": "已救助",
}
EVENTS = {
    "application_submitted": "登记申请", "task_completed": "办结环节", "timer_fired": "时限到达",
    "document_issued": "出具文书", "task_claimed": "认领任务", "task_unclaimed": "退回任务",
    "message_received": "登记事项", "outside_data_received": "收到核对结果", "outside_call_retried": "重试外部核对",
    "review_started": "启动复核", "spot_check_started": "抽中待查", "finding_referred": "问题移交原案件",
    "spot_check_problem_recorded": "区级抽查发现问题",
}
# What a message_received event records, by BPMN message name.
MESSAGES = {"objection": "登记公示异议", "deadline_extension": "延长办理期限", "notice_published": "列入公示批次",
            "economic_check_result": "家庭经济状况信息核对"}
ROLES = {
    "clerk": "窗口受理", "investigator": "入户调查", "reviewer": "乡镇初审", "leader": "审核确认",
    "county_auditor": "区民政局核查审计", "admin": "系统管理员",
}
ACCESS = {"case_viewed": "查看案件", "document_downloaded": "下载文书", "login": "登录", "login_failed": "登录失败",
          "benefit_viewed": "查看在保家庭"}
DOCUMENTS = {"approval_notice": "批准通知书（低保证）", "refusal_notice": "不予批准通知书",
             "not_accepted_notice": "不予受理通知书", "missing_materials_notice": "补正材料一次性告知书",
             "public_notice_list": "公示名单", "change_notice": "复核决定通知书",
             "payment_roster": "发放花名册", "temp_assistance_notice": "临时救助审批决定通知书"}
REASONS = {"eligible": "符合条件", "income": "收入超标", "vehicle": "拥有机动车辆", "business": "有经营性市场主体",
           "assets": "金融资产超限", "homes": "住房超过规定套数", "commercial_property": "拥有非居住类不动产",
           "single_not_qualified": "不符合单独列户条件"}
CALL_KINDS = {"economic_check": "家庭经济状况信息核对"}
CALL_STATUS = {"pending": "等待答复", "incident": "核对故障", "done": "已完成"}
# The benefit register: a household's 低保 and the changes made to it (workflows.store.benefit).
BENEFIT_STATUS = {"ACTIVE": "在保", "PHASING_OUT": "渐退期", "TERMINATED": "已停发"}
CHANGE_KINDS = {"granted": "批准享受", "unchanged": "复核不变", "increase": "增发", "reduce": "减发",
                "phase_out": "渐退", "stop": "停发"}
REVIEW_CYCLES = {"yearly": "每年复核", "half_yearly": "每半年复核"}
STANDARD_CLASSES = {"urban": "城市低保", "rural": "农村低保"}
REVIEW_REASONS = {"scheduled": "定期复核到期", "reported_change": "家庭报告情况变化", "spot_check": "区级抽查发现问题"}
# County spot checks (抽查): what a problem finding did to the case checked (spot_checks.reopen), why a
# case was drawn, and the finding.
REFERRAL_OUTCOMES = {"review_started": "已启动复核", "review_under_way": "并入正在进行的复核",
                     "benefit_ended": "已停发低保，记录在案", "recorded": "记录在原案件"}
SAMPLED_AS = {"near_relative": "近亲属备案案件（全部抽查）", "random": "随机抽取"}
FINDINGS = {"confirmed": "情况属实", "problem": "发现问题"}
# 临时救助 (types and who paid: workflows.documents): the movements of the township reserve (workflows.store.reserve).
LEDGER_KINDS = {"deposit": "拨入", "payment": "救助支付", "refund": "退回"}
# 探访 (workflows.store.visit): how a visit was made, who is visited, where the target came from.
VISIT_METHODS = {"home": "入户", "phone": "电话"}
VISIT_CATEGORIES = {"elderly": "独居、空巢老人", "severe": "重度残疾或重病", "minor": "困境儿童", "other": "其他"}
VISIT_SOURCES = {"register": "在保登记簿", "manual": "手工登记"}


def yuan(value) -> str:
    """Money the Chinese way: ¥1,084.00."""
    if value in (None, ""):
        return "—"
    return f"¥{Decimal(str(value)):,.2f}"


def china_time(value) -> str:
    """A datetime shown in China time, a date as is (ISO text of either is read first)."""
    if isinstance(value, str) and "T" in value:
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
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
        MESSAGE_LABELS=MESSAGES, CALL_KIND_LABELS=CALL_KINDS, CALL_STATUS_LABELS=CALL_STATUS,
        BENEFIT_STATUS_LABELS=BENEFIT_STATUS, CHANGE_KIND_LABELS=CHANGE_KINDS, REVIEW_CYCLE_LABELS=REVIEW_CYCLES,
        STANDARD_CLASS_LABELS=STANDARD_CLASSES, REVIEW_REASON_LABELS=REVIEW_REASONS, OUTCOME_LABELS=OUTCOME_LABELS,
        REFERRAL_OUTCOME_LABELS=REFERRAL_OUTCOMES, SAMPLED_AS_LABELS=SAMPLED_AS, FINDING_LABELS=FINDINGS,
        TEMP_TYPE_LABELS=TEMP_TYPE_LABELS, PAID_BY_LABELS=PAID_BY_LABELS, LEDGER_KIND_LABELS=LEDGER_KINDS,
        VISIT_METHOD_LABELS=VISIT_METHODS, VISIT_CATEGORY_LABELS=VISIT_CATEGORIES, VISIT_SOURCE_LABELS=VISIT_SOURCES,
    )
    app.jinja_env.filters.update(yuan=yuan, china_time=china_time)
