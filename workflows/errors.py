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


class StepFailed(DomainError):
    """A step failed for a reason the user did not cause (a script error, a missing setting, a document
    that will not render). The step is rolled back; the caller records an incident (``workflows.incidents``)."""

    status = 500
    code = "incident"

    def __init__(self, case_id: int | None, township_code: str, kind: str, task_spec: str | None, error: Exception):
        summary = _describe(error)[:300]
        super().__init__(
            f"系统办理本环节时出错，已登记为故障（{summary}）。已填写的内容没有丢失，请稍后重试或联系系统管理员。",
            f"The step failed and was recorded as an incident ({summary}). Nothing you entered was lost; "
            "retry later or contact the administrator.",
        )
        self.case_id, self.township_code, self.kind, self.task_spec = case_id, township_code, kind, task_spec
        self.error = _describe(error)


def _describe(error: Exception) -> str:
    """The failure for the people who fix it: the BPMN step where it happened and, when a script hit a
    domain error (e.g. a missing setting), its Chinese message; else the technical text."""
    step = getattr(getattr(error, "task_spec", None), "bpmn_name", None)
    cause: BaseException | None = error
    while cause is not None and not isinstance(cause, DomainError):
        cause = cause.__cause__ or cause.__context__
    text = cause.message_zh if cause is not None else f"{type(error).__name__}: {error}"
    return f"{step}：{text}" if step else text
