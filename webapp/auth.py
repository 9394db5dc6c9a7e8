"""Logins with flask-login: the login page, the session user and role guards."""

from datetime import timedelta
from functools import wraps

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user
from sqlalchemy import select

from workflows import access_log, clock
from workflows.i18n import N_
from workflows.store import User
from workflows.users import check_password

from . import db

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = N_("请先登录")
login_manager.localize_callback = gettext  # the message in the user's language

MAX_FAILED = 5
LOCK_MINUTES = 15


class SessionUser(UserMixin):
    """The logged-in user as flask-login sees it, wrapping the account row."""

    def __init__(self, account: User):
        self.account = account
        self.id = str(account.id)

    @property
    def is_active(self) -> bool:  # noqa: D102
        return self.account.active

    def __getattr__(self, name):
        return getattr(self.account, name)


@login_manager.user_loader
def _load(user_id: str):
    account = db.session().get(User, int(user_id)) if user_id.isdigit() else None
    return SessionUser(account) if account and account.active else None


def roles_required(*roles: str):
    """Allow only these roles (403 otherwise); implies login."""

    def wrap(view):
        @wraps(view)
        @login_required
        def inner(*args, **kwargs):
            if current_user.role not in roles:
                abort(403, description=gettext("您的岗位无权访问此页面"))
            return view(*args, **kwargs)

        return inner

    return wrap


def account() -> User:
    """The current user's account row."""
    return current_user.account


def _locked(user: User) -> bool:
    return bool(user.locked_until and user.locked_until > clock.now())


def authenticate(username: str, password: str, channel: str = "web") -> User | None:
    """The account if the password is right; counts failures, locks after too many, logs both."""
    user = db.session().scalars(select(User).where(User.username == username)).first()
    if user is None or not user.active or _locked(user):
        access_log.record(db.session(), "login_failed", user=user, username=username[:64],
                          remote_addr=request.remote_addr or "", channel=channel)
        db.commit()
        return None
    ok = check_password(user, password)
    access_log.record(db.session(), "login" if ok else "login_failed", user=user,
                      remote_addr=request.remote_addr or "", channel=channel)
    if not ok:
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED:
            user.locked_until = clock.now() + timedelta(minutes=LOCK_MINUTES)
            user.failed_logins = 0
        db.commit()
        return None
    user.failed_logins, user.locked_until = 0, None
    db.commit()
    return user


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login form."""
    if request.method == "POST":
        user = authenticate(request.form.get("username", "").strip(), request.form.get("password", ""))
        if user is None:
            message = gettext("用户名或密码错误；连续错误 %(n)s 次将锁定 %(m)s 分钟", n=MAX_FAILED, m=LOCK_MINUTES)
            flash(message, "error")
            return render_template("auth/login.html", username=request.form.get("username", "")), 401
        _new_session()  # a new session on login (no fixation)
        session.permanent = True
        login_user(SessionUser(user))
        nxt = request.args.get("next", "")
        return redirect(nxt if nxt.startswith("/") and not nxt.startswith("//") else url_for("home.index"))
    return render_template("auth/login.html", username="")


@bp.route("/logout", methods=["POST"])
def logout():
    """End the session."""
    logout_user()
    _new_session()
    return redirect(url_for("auth.login"))


def _new_session() -> None:
    """Clear the session; only the language the user chose stays."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def init_app(app: Flask) -> None:
    """Install the login manager and the blueprint."""
    login_manager.init_app(app)
    app.register_blueprint(bp)
