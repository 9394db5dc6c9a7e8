"""Display labels and filters for templates (Chinese first)."""

from collections.abc import Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal

from flask import Flask
from flask_babel import format_decimal, get_locale, gettext

from workflows.clock import CHINA_TZ
from workflows.documents import CATEGORY_LABELS, OUTCOME_LABELS, PAID_BY_LABELS, RELATION_LABELS, TEMP_TYPE_LABELS
from workflows.i18n import N_

STATUS = {
    "SUBMITTED": N_("已提交"), "ACCEPTING": N_("待受理"), "WAITING_MATERIALS": N_("待补正材料"),
    "VERIFYING": N_("经济状况核对中"), "INVESTIGATING": N_("入户调查中"), "DELIBERATING": N_("民主评议中"),
    "REVIEWING": N_("待初审"), "COUNTY_CHECK": N_("区民政局核查中"), "AWAITING_NOTICE": N_("待公示"),
    "PUBLICIZING": N_("公示中"), "PENDING_DECISION": N_("待审核确认"), "APPROVED": N_("已批准"),
    "REFUSED": N_("不予批准"), "NOT_ACCEPTED": N_("不予受理"), "WITHDRAWN": N_("已撤回"),
    # a review of a household on 低保 (dibao_review)
    "REVIEW_STARTED": N_("已启动复核"), "PHASING_OUT": N_("渐退期"), "REVIEWED": N_("复核完成"),
    "EXITED": N_("已退出低保"),
    # a county spot check of a decided case (dibao_spot_check)
    "SPOT_CHECK": N_("区级抽查中"), "CHECKED": N_("抽查属实"), "CHECK_PROBLEM": N_("抽查发现问题"),
    # temporary assistance (temp_assistance)
    "EMERGENCY_DECISION": N_("待先行救助审批"), "PAPERWORK": N_("待补办手续"), "COUNTY_APPROVAL": N_("待区民政局审批"),
    "PAID": N_("已救助"),
    # a month's payment roster (payment_roster)
    "ROSTER_REVIEWING": N_("花名册待审核"), "ROSTER_PREPARING": N_("花名册退回重新制表"),
    "ROSTER_ISSUED": N_("花名册已生成"), "ROSTER_WITHDRAWN": N_("花名册已撤回"),
    # a month's visit to a key person (dibao_visit)
    "VISIT_DUE": N_("待探访"), "VISIT_FOLLOW_UP": N_("探访情况跟进中"), "VISITED": N_("已探访"),
    "VISITED_REFERRED": N_("已探访，移交复核"), "VISIT_MISSED": N_("未探访"), "VISIT_CANCELLED": N_("探访对象已结束"),
}
EVENTS = {
    "application_submitted": N_("登记申请"), "task_completed": N_("办结环节"), "timer_fired": N_("时限到达"),
    "document_issued": N_("出具文书"), "task_claimed": N_("认领任务"), "task_unclaimed": N_("退回任务"),
    "message_received": N_("登记事项"), "outside_data_received": N_("收到核对结果"),
    "outside_call_retried": N_("重试外部核对"),
    "review_started": N_("启动复核"), "spot_check_started": N_("抽中待查"), "finding_referred": N_("问题移交原案件"),
    "spot_check_problem_recorded": N_("区级抽查发现问题"), "attachment_added": N_("上传材料扫描件"),
    "migrated": N_("迁移到新流程版本"), "roster_started": N_("制作发放花名册"),
    "visit_started": N_("排期探访"), "visit_change_referred": N_("探访发现情况变化，移交复核"),
}
# What a message_received event records, by BPMN message name.
MESSAGES = {"objection": N_("登记公示异议"), "deadline_extension": N_("延长办理期限"),
            "notice_published": N_("列入公示批次"),
            "economic_check_result": N_("家庭经济状况信息核对")}
ROLES = {
    "clerk": N_("窗口受理"), "investigator": N_("入户调查"), "reviewer": N_("乡镇初审"), "leader": N_("审核确认"),
    "county_auditor": N_("区民政局核查审计"), "admin": N_("系统管理员"),
}
ACCESS = {"case_viewed": N_("查看案件"), "document_downloaded": N_("下载文书"), "login": N_("登录"),
          "login_failed": N_("登录失败"), "person_looked_up": N_("窗口查询人员是否在案"),
          "benefit_viewed": N_("查看在保家庭"), "dossier_exported": N_("导出审计卷宗"),
          "anchor_printed": N_("打印锚点凭证"),
          "attachment_downloaded": N_("下载材料扫描件"), "job_result_downloaded": N_("下载后台任务结果")}
DOCUMENTS = {"approval_notice": N_("批准通知书（低保证）"), "refusal_notice": N_("不予批准通知书"),
             "not_accepted_notice": N_("不予受理通知书"), "missing_materials_notice": N_("补正材料一次性告知书"),
             "public_notice_list": N_("公示名单"), "change_notice": N_("复核决定通知书"),
             "payment_roster": N_("发放花名册"), "temp_assistance_notice": N_("临时救助审批决定通知书"),
             "visit_rate_report": N_("月探访率通报"), "supervision_report": N_("督导通报")}
REASONS = {"eligible": N_("符合条件"), "income": N_("收入超标"), "vehicle": N_("拥有机动车辆"),
           "business": N_("有经营性市场主体"), "assets": N_("金融资产超限"), "homes": N_("住房超过规定套数"),
           "commercial_property": N_("拥有非居住类不动产"),
           "single_not_qualified": N_("不符合单独列户条件")}
CALL_KINDS = {"economic_check": N_("家庭经济状况信息核对")}
CALL_STATUS = {"pending": N_("等待答复"), "incident": N_("核对故障"), "done": N_("已完成")}
INCIDENT_KINDS = {"timer": N_("定时事件处理故障"), "task": N_("办结环节故障"), "message": N_("登记事项故障")}
# The benefit register: a household's 低保 and the changes made to it (workflows.store.benefit).
BENEFIT_STATUS = {"ACTIVE": N_("在保"), "PHASING_OUT": N_("渐退期"), "TERMINATED": N_("已停发")}
CHANGE_KINDS = {"granted": N_("批准享受"), "unchanged": N_("复核不变"), "increase": N_("增发"), "reduce": N_("减发"),
                "phase_out": N_("渐退"), "stop": N_("停发")}
REVIEW_CYCLES = {"yearly": N_("每年复核"), "half_yearly": N_("每半年复核")}
STANDARD_CLASSES = {"urban": N_("城市低保"), "rural": N_("农村低保")}
REVIEW_REASONS = {"scheduled": N_("定期复核到期"), "reported_change": N_("家庭报告情况变化"),
                  "spot_check": N_("区级抽查发现问题")}
# County spot checks (抽查): what a problem finding did to the case checked (spot_checks.reopen), why a
# case was drawn, and the finding.
REFERRAL_OUTCOMES = {"review_started": N_("已启动复核"), "review_under_way": N_("并入正在进行的复核"),
                     "benefit_ended": N_("已停发低保，记录在案"), "recorded": N_("记录在原案件")}
SAMPLED_AS = {"near_relative": N_("近亲属备案案件（全部抽查）"), "random": N_("随机抽取")}
FINDINGS = {"confirmed": N_("情况属实"), "problem": N_("发现问题")}
# 临时救助 (types and who paid: workflows.documents): the movements of the township reserve (workflows.store.reserve).
LEDGER_KINDS = {"deposit": N_("拨入"), "payment": N_("救助支付"), "refund": N_("退回")}
# 探访 (workflows.store.visit): how a visit was made, who is visited, where the target came from.
VISIT_METHODS = {"home": N_("入户"), "phone": N_("电话")}
VISIT_CATEGORIES = {"elderly": N_("独居、空巢老人"), "severe": N_("重度残疾或重病"), "minor": N_("困境儿童"),
                    "left_behind": N_("留守儿童"), "other": N_("其他")}
VISIT_SOURCES = {"register": N_("在保登记簿"), "manual": N_("手工登记")}
PROCESSES = {"dibao_application": N_("低保申请"), "dibao_review": N_("低保复核"), "temp_assistance": N_("临时救助"),
             "dibao_spot_check": N_("区级抽查"), "dibao_visit": N_("探访"), "payment_roster": N_("发放花名册")}
# 后台任务 (workflows.jobs): what was asked for, and how far it is.
JOB_KINDS = {"audit_verify": N_("批量重放验证"), "documents_zip": N_("文书归档打包"),
             "roster_export": N_("花名册年度导出")}
JOB_STATUS = {"queued": N_("排队中"), "running": N_("进行中"), "done": N_("已完成"), "failed": N_("失败")}


class Translated(Mapping):
    """A label dictionary as the templates see it: each Chinese label in the user's language.

    The dictionaries above keep their Chinese labels (the exports, the dossier and the API use them as
    they are); the labels are msgids of the catalogue (marked with ``N_``), looked up when shown.
    """

    def __init__(self, labels: Mapping[str, str]):
        self._labels = labels

    def __getitem__(self, key: str) -> str:
        label = self._labels[key]
        return gettext(label) if label else label

    def __iter__(self) -> Iterator[str]:
        return iter(self._labels)

    def __len__(self) -> int:
        return len(self._labels)


def _english() -> bool:
    return str(get_locale() or "zh").startswith("en")


def yuan(value) -> str:
    """Money the Chinese way, ¥1,084.00; in English CNY 1,084.00."""
    if value in (None, ""):
        return "—"
    amount = Decimal(str(value))
    return f"CNY {format_decimal(amount, format='#,##0.00')}" if _english() else f"¥{amount:,.2f}"


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
        INCIDENT_KIND_LABELS=INCIDENT_KINDS,
        BENEFIT_STATUS_LABELS=BENEFIT_STATUS, CHANGE_KIND_LABELS=CHANGE_KINDS, REVIEW_CYCLE_LABELS=REVIEW_CYCLES,
        STANDARD_CLASS_LABELS=STANDARD_CLASSES, REVIEW_REASON_LABELS=REVIEW_REASONS, OUTCOME_LABELS=OUTCOME_LABELS,
        REFERRAL_OUTCOME_LABELS=REFERRAL_OUTCOMES, SAMPLED_AS_LABELS=SAMPLED_AS, FINDING_LABELS=FINDINGS,
        TEMP_TYPE_LABELS=TEMP_TYPE_LABELS, PAID_BY_LABELS=PAID_BY_LABELS, LEDGER_KIND_LABELS=LEDGER_KINDS,
        VISIT_METHOD_LABELS=VISIT_METHODS, VISIT_CATEGORY_LABELS=VISIT_CATEGORIES, VISIT_SOURCE_LABELS=VISIT_SOURCES,
        JOB_KIND_LABELS=JOB_KINDS, JOB_STATUS_LABELS=JOB_STATUS, PROCESS_LABELS=PROCESSES,
    )
    for name, labels in list(app.jinja_env.globals.items()):  # every *_LABELS dictionary, in the user's language
        if name.endswith("_LABELS") and isinstance(labels, dict):
            app.jinja_env.globals[name] = Translated(labels)
    app.jinja_env.filters.update(yuan=yuan, china_time=china_time)
