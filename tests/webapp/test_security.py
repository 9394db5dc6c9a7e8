"""Security properties of the web layer (issue 8, docs/security.md): headers, cookies, sessions, lockout,
CSRF on every state-changing form, and the API never taking a cookie for a login."""

from collections import defaultdict
from datetime import timedelta

from sqlalchemy import select

from tests.webapp.test_route_access import WEB_POST
from tests.webapp.web import csrf, login
from webapp import db
from webapp.auth import LOCK_MINUTES, MAX_FAILED
from workflows import clock
from workflows.store import AccessLog


def _attempt(client, password: str, username: str = "clerk-001"):
    return client.post("/login", data={"username": username, "password": password, "csrf_token": csrf(client)},
                       environ_base={"REMOTE_ADDR": "10.1.2.3"})


def test_every_page_carries_the_security_headers(app, client):
    resp = client.get("/login")
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff" and resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in resp.headers  # plain HTTP (the local demo): no HSTS
    secure = client.get("/login", base_url="https://dibao.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_the_session_cookie_is_http_only_same_site_and_expires_after_a_working_day(app, client):
    resp = login(client, "clerk-001")
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie
    assert timedelta(seconds=app.config["PERMANENT_SESSION_LIFETIME"]) == timedelta(hours=8)


def test_a_login_starts_a_fresh_session(app, client):
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker before the login"  # session fixation
        sess["lang"] = "en"
    login(client, "clerk-001")
    with client.session_transaction() as sess:
        assert "planted" not in sess and sess["lang"] == "en"  # only the chosen language survives


def test_repeated_failures_lock_the_account_with_a_clear_message(app, client, at_monday):
    for _ in range(MAX_FAILED):
        resp = _attempt(client, "wrong-password")
        assert resp.status_code == 401
    assert f"连续错误 {MAX_FAILED} 次将锁定 {LOCK_MINUTES} 分钟" in resp.get_data(as_text=True)
    assert _attempt(client, "dibao-demo-2026").status_code == 401  # locked: even the right password
    with clock.frozen(at_monday + timedelta(minutes=LOCK_MINUTES + 1)):
        assert _attempt(client, "dibao-demo-2026").status_code == 302
    with app.app_context():
        rows = db.session().execute(select(AccessLog.action, AccessLog.remote_addr)
                                    .where(AccessLog.username == "clerk-001").order_by(AccessLog.id)).all()
    assert [a for a, _ in rows] == ["login_failed"] * (MAX_FAILED + 1) + ["login"]
    assert {addr for _, addr in rows} == {"10.1.2.3"}  # who, when and from where


def test_every_state_changing_form_needs_its_csrf_token(app, client):
    login(client, "admin")
    ids = defaultdict(lambda: "1")  # whatever the route's ids: the token is checked before anything else
    for endpoint, (path, _) in WEB_POST.items():
        resp = client.post(path.format_map(ids))
        assert resp.status_code == 400, endpoint
    assert client.post("/logout").status_code == 400


def test_a_browser_session_is_no_login_for_the_api(app, client):
    login(client, "clerk-001")
    assert client.get("/tasks/").status_code == 200
    assert client.get("/api/v1/tasks").status_code == 401  # bearer tokens only: a cookie cannot be replayed
