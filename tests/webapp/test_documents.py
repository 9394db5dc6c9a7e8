"""PDF notices: content, font embedding, reproducibility and the resource sandbox."""

import ast
import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader
from weasyprint import HTML
from weasyprint.urls import FatalURLFetchingError

from webapp.documents import (
    DocumentError,
    FontMissingError,
    ResourceRefusedError,
    check_fonts,
    missing_glyphs,
    render,
    render_html,
    render_pdf,
)

ROOT = Path(__file__).resolve().parents[2]


def make_context(**overrides):
    """A recorded document context, as the engine stores it on the case."""
    context = {
        "number": "XQ-640104001-2026-000001",
        "verify_code": "K7Q2-9D3M",
        "issued_on": "2026-12-08",
        "issuer": "兴庆区凤凰北街街道办事处",
        "county_gov": "兴庆区人民政府",
        "case_no": "XQ-640104001-2026-C00042",
        "applicant_name": "王喆",
        "applicant_id_masked": "6401**********123X",
        "address": "银川市兴庆区凤凰北街某小区3号楼2单元501室",
        "members": [
            {"name": "王喆", "relation_label": "本人", "age": 67},
            {"name": "赵雯婷", "relation_label": "配偶", "age": 64},
            {"name": "王小明", "relation_label": "孙子女", "age": 9},
        ],
        "amount": {
            "standard": "620.00",
            "persons": 3,
            "per_capita_income": "300.00",
            "base": "960.00",
            "uplifts": [{"name": "王喆", "category_label": "老年人", "rate": "0.20", "amount": "124.00"}],
            "uplift_total": "124.00",
            "total": "1084.00",
        },
        "start_month": "2027-01",
        "certificate_no": "XQ-ZS-2026-000123",
        "review_cycle_label": "每年复核一次",
        "reasons": ["家庭人均收入高于当地低保标准", "家庭拥有两套以上住房"],
        "decision_date": "2026-12-05",
        "application_date": "2026-10-20",
        "contact_phone": "0951-6012345",
        "verify_url": "https://dibao.example.cn/verify/K7Q2-9D3M",
    }
    context.update(overrides)
    return context


REFUSAL = {
    "number": "XQ-640104001-2026-000002",
    "verify_code": "M3P8-2X7R",
    "applicant_name": "赵雯婷",
    "verify_url": "https://dibao.example.cn/verify/M3P8-2X7R",
}


@pytest.fixture(scope="module")
def approval_pdf():
    return render_pdf("approval_notice", make_context())


@pytest.fixture(scope="module")
def refusal_pdf():
    return render_pdf("refusal_notice", make_context(**REFUSAL))


def pdf_text(pdf: bytes) -> str:
    """All page text with whitespace removed (line breaks fall anywhere in Chinese)."""
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return "".join(text.split())


def pdf_fonts(pdf: bytes) -> list[dict]:
    """The font dictionaries used by any page."""
    fonts = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        fonts.extend(font.get_object() for font in page["/Resources"]["/Font"].values())
    return fonts


def test_approval_notice_content(approval_pdf):
    text = pdf_text(approval_pdf)
    for expected in (
        "最低生活保障批准通知书",
        "王喆",
        "赵雯婷",
        "6401**********123X",
        "XQ-ZS-2026-000123",
        "620.00",
        "960.00",
        "124.00",
        "1084.00",
        "自2027年1月起",
        "30日内",
        "每年复核一次",
        "兴庆区凤凰北街街道办事处",
        "2026年12月8日",
        "（印章）",
        "XQ-640104001-2026-000001",
        "K7Q2-9D3M",
        "https://dibao.example.cn/verify/K7Q2-9D3M",
    ):
        assert expected in text, expected
    assert len(PdfReader(io.BytesIO(approval_pdf)).pages) == 1
    assert len(approval_pdf) < 100_000


def test_refusal_notice_content(refusal_pdf):
    text = pdf_text(refusal_pdf)
    for expected in (
        "不予批准（确认）最低生活保障通知书",
        "赵雯婷",
        "2026年10月20日",
        "2026年12月5日",
        "家庭人均收入高于当地低保标准",
        "家庭拥有两套以上住房",
        "自收到本通知之日起六十日内向兴庆区人民政府申请行政复议",
        "六个月内依法向人民法院提起行政诉讼",
        "XQ-640104001-2026-000002",
        "M3P8-2X7R",
        "0951-6012345",
    ):
        assert expected in text, expected


def test_appeal_body_comes_from_context():
    html = render_html("refusal_notice", make_context(county_gov="金凤区人民政府"))
    assert "六十日内向金凤区人民政府申请行政复议" in html
    assert "兴庆区人民政府" not in html


def test_only_the_document_font_is_embedded(approval_pdf, refusal_pdf):
    for pdf in (approval_pdf, refusal_pdf):
        fonts = pdf_fonts(pdf)
        assert {str(font["/BaseFont"]) for font in fonts} == {str(fonts[0]["/BaseFont"])}
        assert "WenQuanYi" in fonts[0]["/BaseFont"]
        descriptor = fonts[0]["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        program = TTFont(io.BytesIO(descriptor["/FontFile2"].get_object().get_data()))
        assert program["name"].getDebugName(4) == "WenQuanYi Micro Hei"  # face 0, not the Mono face


def test_same_context_same_bytes_other_number_other_bytes(approval_pdf):
    assert render_pdf("approval_notice", make_context()) == approval_pdf
    other = render_pdf("approval_notice", make_context(number="XQ-640104001-2026-000009"))
    assert other != approval_pdf


def test_same_bytes_in_a_fresh_process(approval_pdf):
    script = (
        "import hashlib, json, sys\n"
        "from webapp.documents import render_pdf\n"
        "print(hashlib.sha256(render_pdf('approval_notice', json.loads(sys.argv[1]))).hexdigest())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, json.dumps(make_context())],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": "7"},
    )
    assert result.stdout.strip() == hashlib.sha256(approval_pdf).hexdigest()


def test_fixed_metadata_and_identifier(approval_pdf):
    reader = PdfReader(io.BytesIO(approval_pdf))
    assert reader.metadata["/CreationDate"] == reader.metadata["/ModDate"] == "D:20261208"
    expected = hashlib.sha256(b"approval_notice:XQ-640104001-2026-000001").hexdigest()[:32]
    assert reader.trailer["/ID"][0] == expected


def test_html_in_names_is_escaped():
    context = make_context(
        applicant_name="<b>张</b>", members=[{"name": "<i>李</i>", "relation_label": "本人"}]
    )
    assert "&lt;b&gt;张&lt;/b&gt;" in render_html("approval_notice", context)
    text = pdf_text(render_pdf("approval_notice", context))
    assert "<b>张</b>" in text and "<i>李</i>" in text


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/logo.png",
        "https://example.com/x.css",
        "ftp://example.com/x",
        "data:text/css,body{}",
        "file:///etc/passwd",
        "file://otherhost/share/x.css",
        (render.TEMPLATES_DIR / "..").as_uri() + "/render.py",
    ],
)
def test_url_fetcher_refuses(url):
    with pytest.raises(ResourceRefusedError):
        render.URL_FETCHER.fetch(url)


def test_url_fetcher_serves_templates_and_font():
    css = render.URL_FETCHER.fetch((render.TEMPLATES_DIR / "document.css").as_uri())
    assert css.content_type == "text/css" and b"@page" in css.read()
    assert render.URL_FETCHER.fetch(render.FONT_PATH.as_uri()).read(4) in (b"ttcf", b"\0\1\0\0")


def test_a_refused_resource_stops_the_rendering():
    html = HTML(string='<img src="http://example.com/x.png">', url_fetcher=render.URL_FETCHER)
    with pytest.raises(FatalURLFetchingError) as caught:
        html.write_pdf()
    assert isinstance(caught.value.__cause__, ResourceRefusedError)


def test_check_fonts_passes_here():
    assert check_fonts() == []


def test_missing_font_fails_loudly(monkeypatch, tmp_path):
    monkeypatch.setattr(render, "FONT_PATH", tmp_path / "absent.ttc")
    assert "font file missing" in check_fonts()[0]
    with pytest.raises(FontMissingError):
        render_pdf("approval_notice", make_context())


def test_rare_characters_are_reported():
    # U+4DAE (CJK Ext-A) is not in WenQuanYi Micro Hei; it would print as an empty box.
    assert missing_glyphs(make_context(applicant_name="李䶮")) == ["䶮"]
    assert missing_glyphs(make_context(applicant_name="王喆", members=[{"name": "赵雯婷"}])) == []


@pytest.mark.parametrize("missing", ["number", "verify_code", "issued_on", "issuer", "amount", "start_month"])
def test_required_fields(missing):
    with pytest.raises(DocumentError, match=missing):
        render_html("approval_notice", make_context(**{missing: None}))


def test_refusal_needs_reasons_and_appeal_body():
    with pytest.raises(DocumentError, match="reasons, county_gov"):
        render_html("refusal_notice", make_context(reasons=[], county_gov=""))


def test_bad_kind_and_bad_date():
    with pytest.raises(DocumentError, match="unknown document kind"):
        render_html("stop_notice", make_context())
    with pytest.raises(DocumentError, match="ISO date"):
        render_html("approval_notice", make_context(issued_on="8/12/2026"))


def test_optional_fields_may_be_missing():
    optional = ("members", "verify_url", "contact_phone", "application_date", "decision_date", "case_no")
    for kind in ("approval_notice", "refusal_notice"):
        context = {key: value for key, value in make_context().items() if key not in optional}
        context["amount"] = {"total": "960.00", "base": "960.00", "standard": "620.00", "persons": 3}
        html = render_html(kind, context)
        assert "None" not in html and "Undefined" not in html and "核验网址" not in html


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("cn_date", "2026-12-08", "2026年12月8日"),
        ("cn_date", "not a date", "not a date"),
        ("cn_month", "2027-01", "2027年1月"),
        ("cn_month", "2027年1月", "2027年1月"),
        ("percent", "0.20", "20%"),
        ("percent", "0.125", "12.5%"),
        ("percent", "n/a", "n/a"),
    ],
)
def test_filters(name, value, expected):
    assert getattr(render, name)(value) == expected


def test_documents_module_never_imports_flask():
    for path in Path(render.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(name.split(".")[0] == "flask" for name in names), path
