"""What each kind of document needs: its title, template and the fields its context must hold."""

#: Keys every document needs. Each kind adds its own ``required`` keys (a tuple inside means
#: "at least one of these"), ``dates`` (ISO dates that must not decrease, in this order) and
#: ``parts`` (key → the keys its dict, or each dict of its list, needs).
COMMON_REQUIRED = ("number", "verify_code", "issued_on", "issuer")
DOCUMENT_KINDS = {
    "approval_notice": {
        "title_zh": "最低生活保障批准通知书",
        "title_en": "Notice of approval of the minimum living guarantee",
        "template": "approval_notice.html",
        "required": ("applicant_name", "amount", "start_month", "certificate_no"),
    },
    "refusal_notice": {
        "title_zh": "不予批准（确认）最低生活保障通知书",
        "title_en": "Notice of refusal of the minimum living guarantee",
        "template": "refusal_notice.html",
        "required": ("applicant_name", "reasons", "county_gov"),
    },
    "change_notice": {
        "title_zh": "最低生活保障复核决定通知书",
        "title_en": "Notice of the outcome of a minimum living guarantee review",
        "template": "change_notice.html",
        "required": ("applicant_name", "certificate_no", "outcome_label", "old_amount", "new_amount",
                     "effective_month", "county_gov"),
    },
    "temp_assistance_notice": {
        "title_zh": "临时救助审批决定通知书",
        "title_en": "Notice of the decision on temporary assistance",
        "template": "temp_assistance_notice.html",
        "required": ("applicant_name", "outcome_label", "county_gov"),
    },
    "not_accepted_notice": {
        "title_zh": "最低生活保障申请不予受理通知书",
        "title_en": "Notice that the application is not accepted",
        "template": "not_accepted_notice.html",
        "required": ("applicant_name", "reasons", "county_gov"),
    },
    "missing_materials_notice": {
        "title_zh": "申请材料补正一次性告知书",
        "title_en": "One-time notice of the application materials to supply",
        "template": "missing_materials_notice.html",
        "required": ("applicant_name", ("missing", "other_missing"), "supplement_deadline"),
        "dates": ("issued_on", "supplement_deadline"),
        "parts": {"missing": ("label",)},
    },
    "public_notice_list": {
        "title_zh": "最低生活保障拟批准对象公示",
        "title_en": "Public notice of the households proposed for the minimum living guarantee",
        "template": "public_notice_list.html",
        "required": ("batch_no", "notice_start", "notice_end", "contact_phone", "rows", "totals"),
        "dates": ("notice_start", "notice_end"),
        "parts": {"rows": ("applicant_name", "persons", "amount"), "totals": ("households", "persons", "amount")},
    },
    "payment_roster": {
        "title_zh": "最低生活保障金发放花名册",
        "title_en": "Monthly payment roster of the minimum living guarantee",
        "template": "payment_roster.html",
        "required": ("township_name", "month", "rows", "totals", "xlsx_sha256"),
        "parts": {"rows": ("certificate_no", "holder_name", "holder_id_masked", "persons", "amount"),
                  "totals": ("households", "persons", "amount")},
    },
    "visit_rate_report": {
        "title_zh": "重点对象月探访率通报",
        "title_en": "Monthly visit rate of key people",
        "template": "visit_rate_report.html",
        "required": ("scope_name", "month", "as_of", "rows", "totals", "generated_by"),
        "parts": {"rows": ("township_name", "rate"), "totals": ("rate",)},
    },
    "supervision_report": {
        "title_zh": "最低生活保障审核确认工作督导通报",
        "title_en": "Supervision report on the minimum living guarantee procedure",
        "template": "supervision_report.html",
        "required": ("scope_name", "period_name", "period_label", "as_of", "rows", "totals", "generated_by"),
        "dates": ("period_first", "period_last"),
        "parts": {"rows": ("township_name", "received", "decided"), "totals": ("received", "decided")},
    },
    # Audit records (not issued to a household): the dossier report of a case and a printed chain anchor.
    "audit_dossier": {
        "title_zh": "案件审计卷宗",
        "title_en": "Audit dossier of a case",
        "template": "audit_dossier.html",
        "required": ("case", "verdict", "timeline", "generated_by"),
        "parts": {"case": ("case_no", "spec_hash", "head_hash")},
    },
    "chain_anchor": {
        "title_zh": "办理事件哈希链锚点凭证",
        "title_en": "Chain anchor of the case event logs",
        "template": "chain_anchor.html",
        "required": ("anchor_id", "root_groups", "cases", "anchored_at"),
    },
}
