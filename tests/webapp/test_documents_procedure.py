"""Procedure documents: the one-time notice of missing materials and the 公示 list of a batch."""

import io

import pytest
from pypdf import PdfReader

from webapp.documents import DocumentError, check_fonts, render, render_html, render_pdf

MISSING = [
    {"code": "authorization", "label": "家庭经济状况核对授权书"},
    {"code": "hukou", "label": "户口簿复印件"},
    {"code": "disability_proof", "label": "残疾人证复印件"},
]
#: Keys a careless caller might leave in a row: none of their values may reach the notice board.
PRIVATE = {
    "id_no": "640104197803090021",
    "applicant_id_masked": "6401**********0021",
    "phone": "13912345678",
    "diagnosis": "尿毒症",
    "disability_level": "肢体二级",
    "monthly_income": "4321.00",
    "bank_account": "6228480012345678901",
}


def materials_context(**overrides):
    """A missing-materials notice context as the acceptance step would record it."""
    context = {
        "number": "BZ-640104001-2026-000001",
        "verify_code": "B7Z2-4K9M",
        "verify_url": "https://dibao.example.cn/verify/B7Z2-4K9M",
        "issued_on": "2026-12-01",
        "issuer": "凤凰北街街道办事处",
        "county_gov": "兴庆区人民政府",
        "case_no": "640104001-2026-00007",
        "applicant_name": "张秀兰",
        "applicant_id_masked": "6401**********0021",
        "application_date": "2026-12-01",
        "contact_phone": "0951-6012345",
        "missing": MISSING,
        "other_missing": "赡养人收入证明\n村（居）委会出具的居住证明",
        "received": ["最低生活保障申请书", "居民身份证复印件"],
        "supplement_deadline": "2026-12-08",
    }
    context.update(overrides)
    return context


def row(index: int, **extra):
    """One household of the batch (name already masked, as the caller does when mask_names)."""
    return {
        "case_no": f"640104001-2026-{index:05d}",
        "applicant_name": f"张*{'一二三四五六七八九十'[index % 10]}{index}",
        "community": "丽景社区" if index % 2 else "",
        "persons": 1 + index % 4,
        "amount": f"{600 + index}.00",
        "standard_class_label": "城市低保" if index % 3 else "农村低保",
        **extra,
    }


def list_context(rows=None, **overrides):
    """A 公示 list context for one township batch."""
    rows = rows if rows is not None else [row(1), row(2), row(3, amount="1022")]
    context = {
        "number": "GS-640104001-2026-000003",
        "verify_code": "G5S8-2M7Q",
        "verify_url": "https://dibao.example.cn/verify/G5S8-2M7Q",
        "issued_on": "2026-12-07",
        "issuer": "凤凰北街街道办事处",
        "county_gov": "兴庆区人民政府",
        "batch_no": "640104001-2026-GS03",
        "notice_start": "2026-12-07",
        "notice_end": "2026-12-13",
        "contact_phone": "0951-6012345",
        "county_phone": "0951-6098765",
        "mask_names": True,
        "rows": rows,
        "totals": {
            "households": len(rows),
            "persons": sum(r["persons"] for r in rows),
            "amount": f"{sum(float(r['amount'] or 0) for r in rows):.2f}",
        },
    }
    context.update(overrides)
    return context


def pdf_text(pdf: bytes) -> str:
    """All page text with whitespace removed (line breaks fall anywhere in Chinese)."""
    return "".join("".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


@pytest.fixture(scope="module")
def materials_pdf():
    return render_pdf("missing_materials_notice", materials_context())


@pytest.fixture(scope="module")
def list_pdf():
    return render_pdf("public_notice_list", list_context())


@pytest.fixture(scope="module")
def long_list_pdf():
    return render_pdf("public_notice_list", list_context([row(i) for i in range(1, 201)]))


def test_missing_materials_notice_lists_every_item_numbered(materials_pdf):
    text = pdf_text(materials_pdf)
    items = [m["label"] for m in MISSING] + ["赡养人收入证明", "村（居）委会出具的居住证明"]
    for number, label in enumerate(items, start=1):
        assert f"{number}.{label}" in text, label
    for expected in (
        "申请材料补正一次性告知书",
        "张秀兰",
        "6401**********0021",
        "640104001-2026-00007",
        "最低生活保障申请书；居民身份证复印件",
        "请于2026年12月8日前（含当日）",
        "逾期未补齐的，视为撤回申请",
        "重新提出最低生活保障申请",
        "凤凰北街街道办事处",
        "2026年12月1日",
        "（印章）",
        "BZ-640104001-2026-000001",
        "B7Z2-4K9M",
        "https://dibao.example.cn/verify/B7Z2-4K9M",
        "0951-6012345",
    ):
        assert expected in text, expected
    assert "<svg" in render_html("missing_materials_notice", materials_context())


def test_missing_materials_with_only_other_items_or_only_listed_items():
    only_other = render_html("missing_materials_notice", materials_context(missing=[], other_missing="房产证明"))
    assert only_other.count("<li>") == 1 and "1.</span>房产证明</li>" in only_other
    only_listed = render_html("missing_materials_notice", materials_context(other_missing="", received=[]))
    assert only_listed.count("<li>") == len(MISSING) and "已收到的材料" not in only_listed


def test_public_list_shows_rows_totals_and_period(list_pdf):
    text = pdf_text(list_pdf)
    context = list_context()
    for r in context["rows"]:
        assert r["applicant_name"] in text and r["case_no"] in text
    for expected in (
        "最低生活保障拟批准对象公示",
        "601.00",
        "602.00",
        "1022.00",  # an amount given without decimals is printed with two
        "2225.00",
        "合计：3户，9人，每月拟保障金额2225.00元",
        "丽景社区",
        "城市低保",
        "农村低保",
        "640104001-2026-GS03",
        "公示期为2026年12月7日至2026年12月13日",
        "公示期间，任何单位和个人对公示对象有异议的",
        "监督举报电话：0951-6012345",
        "0951-6098765",
        "姓名已作部分隐去处理",
        "（印章）",
        "第1页共1页",
        "G5S8-2M7Q",
    ):
        assert expected in text, expected


def test_public_list_prints_only_the_whitelisted_row_fields():
    rows = [row(1, **PRIVATE), row(2, **PRIVATE)]
    context = list_context(rows, applicant_id_masked="6401**********0021", applicant_phone="13912345678")
    html = render_html("public_notice_list", context)
    text = pdf_text(render_pdf("public_notice_list", context))
    for value in PRIVATE.values():
        assert value not in html and value not in text, value
    assert "身份证" not in text and "电话：139" not in text


def test_public_list_needs_no_applicant():
    context = list_context()
    assert "applicant_name" not in context
    render_html("public_notice_list", context)


def test_long_list_breaks_across_pages_with_the_header_repeated(long_list_pdf):
    pages = PdfReader(io.BytesIO(long_list_pdf)).pages
    assert len(pages) > 1
    for number, page in enumerate(pages, start=1):
        text = "".join(page.extract_text().split())
        assert f"第{number}页共{len(pages)}页" in text
        if number < len(pages):  # the last page may hold only the closing text and the seal
            assert "序号案卷号申请人姓名" in text
    text = pdf_text(long_list_pdf)
    assert all(row(i)["case_no"] in text for i in range(1, 201))


@pytest.mark.parametrize(
    ("kind", "context"),
    [("missing_materials_notice", materials_context()), ("public_notice_list", list_context())],
)
def test_same_context_same_bytes(kind, context, materials_pdf, list_pdf):
    first = materials_pdf if kind == "missing_materials_notice" else list_pdf
    assert render_pdf(kind, context) == first
    assert render_pdf(kind, dict(context, number=context["number"] + "9")) != first


@pytest.mark.parametrize(
    ("kind", "make", "missing", "message"),
    [
        ("missing_materials_notice", materials_context, {"applicant_name": ""}, "applicant_name"),
        ("missing_materials_notice", materials_context, {"supplement_deadline": None}, "supplement_deadline"),
        ("missing_materials_notice", materials_context, {"missing": [], "other_missing": ""}, "missing or other"),
        ("missing_materials_notice", materials_context, {"missing": [{"code": "x"}]}, r"missing\[0\]\.label"),
        ("missing_materials_notice", materials_context, {"verify_code": None}, "verify_code"),
        ("public_notice_list", list_context, {"rows": []}, "rows"),
        ("public_notice_list", list_context, {"batch_no": ""}, "batch_no"),
        ("public_notice_list", list_context, {"notice_end": None}, "notice_end"),
        ("public_notice_list", list_context, {"contact_phone": ""}, "contact_phone"),
        ("public_notice_list", list_context, {"totals": None}, "totals"),
        ("public_notice_list", list_context, {"totals": {"households": 3}}, r"totals\.persons, totals\.amount"),
        ("public_notice_list", list_context, {"rows": [row(1), row(2, amount="")]}, r"rows\[1\]\.amount"),
        ("public_notice_list", list_context, {"number": None}, "number"),
    ],
)
def test_required_fields(kind, make, missing, message):
    with pytest.raises(DocumentError, match=message):
        render_html(kind, make(**missing))


@pytest.mark.parametrize(
    ("kind", "make", "dates", "message"),
    [
        ("missing_materials_notice", materials_context, {"supplement_deadline": "8/12/2026"}, "ISO date"),
        ("missing_materials_notice", materials_context, {"supplement_deadline": "2026-11-30"}, "before issued_on"),
        ("public_notice_list", list_context, {"notice_start": "2026-12-32"}, "ISO date"),
        ("public_notice_list", list_context, {"notice_end": "2026-12-06"}, "before notice_start"),
    ],
)
def test_bad_dates(kind, make, dates, message):
    with pytest.raises(DocumentError, match=message):
        render_html(kind, make(**dates))


@pytest.mark.parametrize(
    ("kind", "make", "optional"),
    [
        ("missing_materials_notice", materials_context,
         ("verify_url", "contact_phone", "application_date", "case_no", "received", "other_missing",
          "applicant_id_masked", "county_gov")),
        ("public_notice_list", list_context, ("verify_url", "county_gov", "county_phone", "mask_names")),
    ],
)
def test_optional_fields_may_be_missing(kind, make, optional):
    context = {key: value for key, value in make().items() if key not in optional}
    html = render_html(kind, context)
    assert "None" not in html and "Undefined" not in html and "核验网址" not in html


@pytest.mark.parametrize(
    ("value", "expected"), [("1022", "1022.00"), ("1022.5", "1022.50"), (620, "620.00"), ("0.005", "0.01"), ("—", "—")]
)
def test_money_filter(value, expected):
    assert render.money(value) == expected


def test_the_new_templates_use_only_characters_of_the_font():
    assert check_fonts() == []
