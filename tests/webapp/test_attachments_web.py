"""Case attachments through the web: the clerk uploads on the case page, others are turned away, the
download is a file to save with the detected type, and a huge body is refused early with a Chinese page."""

import re
from datetime import date
from io import BytesIO
from urllib.parse import quote

from sqlalchemy import select

from tests import drive, scans
from tests import factories as f
from tests.webapp.web import csrf, login
from webapp import db, services
from workflows.store import AccessLog, CaseAttachment, CaseEvent

LINK = re.compile(r'href="(/cases/[^"]+/attachments/\d+)"')


def upload(client, case_no: str, content: bytes, name: str = "身份证 正面.jpg", material: str = "id_cards"):
    """Post the upload form as the browser does (multipart, with the page's CSRF token)."""
    token = csrf(client, "/login")
    return client.post(f"/cases/{case_no}/attachments", content_type="multipart/form-data",
                       data={"csrf_token": token, "material": material, "file": (BytesIO(content), name)})


def new_case(app, town: str = "001", seq: int = 8) -> str:
    with app.app_context():
        sub = f.registration([f.member("赵雯婷", date(1990, 2, 3), seq=seq, income="100")],
                             responsible_township=f"640104{town}")
        return drive.start(db.factory(), services.get(), sub, clerk=f"clerk-{town}")


def ids(app) -> list[int]:
    """The attachments recorded, by id."""
    with app.app_context():
        return db.session().scalars(select(CaseAttachment.id).order_by(CaseAttachment.id)).all()


def test_the_clerk_uploads_a_scan_and_downloads_it_as_a_file(app, client, at_monday):
    case_no = new_case(app)
    login(client, "clerk-001")
    page = client.get(f"/cases/{case_no}").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'name="csrf_token"' in page
    assert "家庭成员身份证（未上传）" in page  # the required materials of the case, from the DMN
    assert "PDF、JPEG或PNG，不超过 10 MB" in page and '<option value="hukou_book">户口簿</option>' in page
    content = scans.jpeg()
    resp = upload(client, case_no, content, name="身份证 正面.png")  # named PNG, really a JPEG
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/cases/{case_no}#attachments")
    page = client.get(f"/cases/{case_no}").get_data(as_text=True)
    assert "材料扫描件已上传" in page and "身份证 正面.png" in page and "家庭成员身份证 ✓" in page
    assert "上传材料扫描件" in page  # the event in the case's history

    (link,) = LINK.findall(page)
    got = client.get(link)
    assert got.status_code == 200 and got.data == content
    assert got.mimetype == "image/jpeg"
    assert got.headers["Content-Disposition"] == (
        f"attachment; filename=\"{case_no}-{ids(app)[0]}.jpg\"; filename*=UTF-8''{quote('身份证 正面.jpg')}")
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in got.headers["Content-Security-Policy"]
    with app.app_context():
        logged = db.session().execute(select(AccessLog.username, AccessLog.action, AccessLog.target)
                                      .where(AccessLog.action == "attachment_downloaded")).all()
    assert [tuple(r) for r in logged] == [("clerk-001", "attachment_downloaded", f"attachment {ids(app)[0]}")]


def test_a_renamed_web_page_is_refused_on_the_page_with_a_chinese_message(app, client, at_monday):
    case_no = new_case(app)
    login(client, "clerk-001")
    resp = upload(client, case_no, b"<html><script>alert(document.cookie)</script></html>", name="身份证.jpg")
    assert resp.status_code == 422
    assert "只能上传PDF、JPEG或PNG格式的扫描件" in resp.get_data(as_text=True)
    resp = upload(client, case_no, scans.pdf(javascript="app.alert(1)"), name="收入证明.pdf", material="other")
    assert resp.status_code == 422 and "含有脚本" in resp.get_data(as_text=True)
    assert ids(app) == []


def test_county_roles_read_and_another_township_sees_nothing(app, client, at_monday):
    case_no = new_case(app)
    login(client, "investigator-001")  # township staff of every role may attach
    assert upload(client, case_no, scans.png(), name="户口本.png", material="hukou_book").status_code == 302
    link = f"/cases/{case_no}/attachments/{ids(app)[0]}"

    login(client, "auditor")
    page = client.get(f"/cases/{case_no}").get_data(as_text=True)
    assert "户口本.png" in page and 'enctype="multipart/form-data"' not in page
    assert client.get(link).status_code == 200
    resp = upload(client, case_no, scans.jpeg())
    assert resp.status_code == 403 and "只能查看材料扫描件" in resp.get_data(as_text=True)

    login(client, "clerk-002")
    assert client.get(link).status_code == 404
    assert upload(client, case_no, scans.jpeg()).status_code == 404
    other_case = new_case(app, "002", seq=9)
    assert client.get(f"/cases/{other_case}/attachments/{ids(app)[0]}").status_code == 404  # not that case's
    assert len(ids(app)) == 1


def test_an_ended_case_takes_no_upload(app, client, at_monday):
    case_no = new_case(app)
    with app.app_context():
        drive.do(db.factory(), services.get(), case_no, "clerk-001",
                 f.accept(decision="not_accept", note="不属于本辖区"))
    login(client, "clerk-001")
    assert 'enctype="multipart/form-data"' not in client.get(f"/cases/{case_no}").get_data(as_text=True)
    resp = upload(client, case_no, scans.jpeg())
    assert resp.status_code == 302
    assert "案件已办结，不能再上传材料扫描件" in client.get(f"/cases/{case_no}").get_data(as_text=True)
    assert ids(app) == []


def test_a_huge_body_is_refused_before_it_is_read_with_a_chinese_413_page(app, client, at_monday):
    case_no = new_case(app)
    login(client, "clerk-001")
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert limit == 11 * 1024 * 1024
    # the multipart body made here as bytes (the test client would spool it to a temporary file left open)
    head = 'Content-Disposition: form-data; name="file"; filename="big.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
    body = b"--cut\r\n" + head.encode() + b"%PDF-1.4\n" + b"0" * limit + b"\r\n--cut--\r\n"
    resp = client.post(f"/cases/{case_no}/attachments", data=body, content_type="multipart/form-data; boundary=cut")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 413 and "文件过大" in html and "上传的内容过大（一次不能超过 11 MB）" in html
    api = client.post("/api/v1/tokens", data=b"{" + b" " * limit + b"}", content_type="application/json")
    assert api.status_code == 413 and api.get_json()["error"]["code"] == "too_large"
    with app.app_context():
        kinds = db.session().scalars(select(CaseEvent.kind)).all()
    assert "attachment_added" not in kinds and ids(app) == []
