"""Domain errors. Each carries a message in Chinese (first) and English; layers map them to
responses in one place (HTML flash, JSON error body, CLI exit)."""


class DomainError(Exception):
    """Base of every error the engine reports to a user."""

    status = 400
    code = "error"

    def __init__(self, message_zh: str, message_en: str = "", details: dict | None = None):
        super().__init__(message_en or message_zh)
        self.message_zh = message_zh
        self.message_en = message_en or message_zh
        self.details = details or {}

    def message(self, locale: str = "zh") -> str:
        """The message in the user's language."""
        return self.message_en if locale.startswith("en") else self.message_zh


class NotFound(DomainError):
    """No such object, or not visible to this user (another township's case looks the same)."""

    status = 404
    code = "not_found"


class Forbidden(DomainError):
    """The user may see the object but not do this."""

    status = 403
    code = "forbidden"


class Conflict(DomainError):
    """The object moved on: task already completed, claimed by someone else, concurrent update."""

    status = 409
    code = "conflict"


class Invalid(DomainError):
    """Submitted data failed validation; ``details`` maps field paths to messages."""

    status = 422
    code = "invalid"
