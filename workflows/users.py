"""Staff accounts: creation and password checks (Argon2id)."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import clock, rules
from .errors import Invalid
from .store import ROLES, TOWNSHIP_ROLES, Township, User

_hasher = PasswordHasher()  # Argon2id with the library's current recommended parameters


def use_cheap_hashing_for_tests() -> None:
    """Make hashing fast (tests create dozens of accounts); never call this in production."""
    global _hasher  # noqa: PLW0603 - one module-wide hasher, swapped only by the test suite
    _hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    """An Argon2id hash of the password."""
    return _hasher.hash(password)


def check_password(user: User, password: str) -> bool:
    """True if the password matches (and rehashes the stored hash if its parameters are old)."""
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return True


def create_user(
    session: Session, username: str, password: str, role: str, township_code: str | None, display_name: str = "",
    id_no: str | None = None,
) -> User:
    """Create an account after checking role, township and password length.

    ``id_no`` is the staff member's 身份证号 (optional; checked like any ID number): with the near relatives
    registered for the account, it keeps them off their own household's cases (``workflows.relatives``).
    """
    if role not in ROLES:
        raise Invalid(f"未知角色：{role}", f"Unknown role: {role}", {"role": "unknown"})
    if role in TOWNSHIP_ROLES:
        if not township_code or session.get(Township, township_code) is None:
            raise Invalid("乡镇（街道）岗位必须指定有效的乡镇代码", "Township roles need a valid township code")
    elif township_code and session.get(Township, township_code) is None:
        raise Invalid("乡镇代码无效", "Unknown township code")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(f"密码至少 {MIN_PASSWORD_LENGTH} 位", f"Password needs {MIN_PASSWORD_LENGTH}+ characters")
    if session.scalars(select(User).where(User.username == username)).first():
        raise Invalid(f"用户名 {username} 已存在", f"User {username} already exists")
    if id_no:
        try:
            id_no = rules.parse_id_number(id_no, clock.today()).id_no
        except rules.InvalidIdNumber as err:
            raise Invalid(f"身份证号码有误：{err.message_zh}", f"Invalid ID number: {err.message_en}",
                          {"id_no": err.message_zh}) from None
    user = User(
        username=username,
        display_name=display_name or username,
        role=role,
        township_code=township_code,
        password_hash=hash_password(password),
        id_no=id_no or None,
    )
    session.add(user)
    session.flush()
    return user
