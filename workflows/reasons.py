"""Refusal reasons as printed on the 不予批准通知书: specific, and naming the rule relied on."""

ELIGIBILITY_REASONS = {
    "income": (
        "经核算，家庭月人均收入不低于当地最低生活保障标准，不符合《社会救助暂行办法》第九条规定的条件。",
        "The household's monthly income per person is not below the local standard.",
    ),
    "vehicle": (
        "经核对，家庭成员名下登记有机动车辆（残疾人功能性补偿代步机动车除外），家庭财产状况不符合规定。",
        "A household member owns a motor vehicle (mobility vehicles for disabled people excepted).",
    ),
    "business": (
        "经核对，家庭成员登记有经营性市场主体，家庭财产状况不符合规定。",
        "A household member holds a registered business.",
    ),
    "assets": (
        "经核对，家庭人均金融资产超过规定限额，家庭财产状况不符合规定。",
        "Financial assets per person exceed the limit.",
    ),
    "commercial_property": (
        "经核对，家庭成员名下登记有商业用房等非居住类不动产，家庭财产状况不符合规定。",
        "A household member owns non-residential real estate.",
    ),
    "homes": (
        "经核对，家庭拥有住房超过规定套数，家庭财产状况不符合规定。",
        "The household owns more homes than the rules allow.",
    ),
    "single_not_qualified": (
        "申请人不属于重度残疾人或重病患者，不符合单独列户申请最低生活保障的条件。",
        "Only a severely disabled or seriously ill person may apply as a household on their own.",
    ),
}


def refusal_reasons(eligibility_reason: str | None, leader_comment: str | None) -> list[str]:
    """The reasons for a refusal: the rule that failed, then the township's own words."""
    reasons = []
    if eligibility_reason in ELIGIBILITY_REASONS:
        reasons.append(ELIGIBILITY_REASONS[eligibility_reason][0])
    if leader_comment:
        reasons.append(f"经乡镇（街道）集体研究：{leader_comment}")
    return reasons or ["经乡镇（街道）集体研究，不符合最低生活保障条件。"]
