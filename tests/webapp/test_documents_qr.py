"""The verification link on documents: printed as text and as a QR code, reproducibly."""

import io

from pypdf import PdfReader

from tests import factories as f
from webapp.documents import render_html, render_pdf
from webapp.documents.qr import qr_svg

URL = "https://dibao.example.gov.cn/verify/K7Q2-9D3M"


def test_the_link_is_printed_and_drawn_as_a_qr_code():
    context = dict(f.notice_context(), verify_url=URL)
    html = render_html("approval_notice", context)
    assert html.count("<svg") == 1 and "扫码核验真伪" in html
    assert "<svg" not in render_html("approval_notice", f.notice_context())
    text = PdfReader(io.BytesIO(render_pdf("approval_notice", context))).pages[0].extract_text()
    assert "verify/K7Q2-9D3M" in text


def test_the_qr_code_is_deterministic_and_depends_on_the_link():
    assert qr_svg(URL) == qr_svg(URL)
    assert qr_svg(URL) != qr_svg(URL.replace("K7Q2", "K7Q3"))
    assert qr_svg(URL).startswith("<svg")
