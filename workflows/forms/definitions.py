"""Form definitions: load ``forms/<process_id>/<form_id>.json``, check it, keep it in a cache.

A form file is data (see ``forms/_meta.schema.json``). Loading checks it twice: against the
meta-schema with jsonschema, then for what a schema cannot say (unique names, references between
fields and rules, bounds in order). A broken file is a deployment error and raises
:class:`FormError` naming the file and every problem found.
"""

import copy
import json
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker

from .checks import definition_problems
from .schema import submission_schema

FORMS_DIR = Path(__file__).resolve().parents[2] / "forms"
META_SCHEMA = FORMS_DIR / "_meta.schema.json"
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_MAX_REPORTED = 10


class FormError(Exception):
    """A form definition is invalid: a deployment error, never a user's."""


class UnknownForm(LookupError):
    """There is no form file for this process and form id."""


def localized(text: dict | None, locale: str = "zh") -> str:
    """Pick the Chinese or English text of a ``{"zh": ..., "en": ...}`` object.

    Args:
        text: The localized text (may be None).
        locale: A locale such as ``zh``, ``zh_CN``, ``en`` or ``en_US``; anything not English is Chinese.

    Returns:
        The text in that language, falling back to Chinese, or "" when there is none.
    """
    if not text:
        return ""
    lang = "en" if str(locale).lower().startswith("en") else "zh"
    return text.get(lang) or text.get("zh", "")


@dataclass(frozen=True, eq=False)
class Form:
    """One checked form definition. ``raw`` is the file's content: read it, never change it."""

    id: str
    process: str
    raw: dict
    path: Path | None = None

    @property
    def fields(self) -> list[dict]:
        """The field definitions, in display order."""
        return self.raw["fields"]

    @property
    def rules(self) -> list[dict]:
        """The cross-field rules (may be empty)."""
        return self.raw.get("rules", [])

    def title(self, locale: str = "zh") -> str:
        """The form's title in ``locale``."""
        return localized(self.raw["title"], locale)

    def description(self, locale: str = "zh") -> str:
        """The form's description in ``locale`` ("" if it has none)."""
        return localized(self.raw.get("description"), locale)

    def field(self, name: str) -> dict:
        """The top-level field called ``name``.

        Raises:
            KeyError: The form has no such field.
        """
        for spec in self.fields:
            if spec["name"] == name:
                return spec
        raise KeyError(name)

    def json_schema(self, context: dict | None = None, today: date | None = None) -> dict:
        """The JSON Schema (draft 2020-12) of a valid, already coerced submission.

        Args:
            context: The task data; when given, a ``rows_from`` table must have exactly as many
                rows as the list it is drawn from.
            today: The date that ``"today"`` bounds mean (default: the domain clock's today).

        Returns:
            A new schema dict. Keywords beyond the standard (``formatMinimum``/``formatMaximum``
            on dates and decimal strings, ``x-unique``, ``x-exactly-one``) are enforced by
            :func:`workflows.forms.validate_submission` and ignored by other validators.
        """
        return submission_schema(self.fields, self.raw["title"], context, today)


@lru_cache(maxsize=1)
def _meta_validator() -> Draft202012Validator:
    meta = json.loads(META_SCHEMA.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(meta)
    return Draft202012Validator(meta, format_checker=FormatChecker())


def _where(error) -> str:
    return "/".join(str(p) for p in error.absolute_path) or "(top)"


def form_from_dict(raw: dict, path: Path | None = None) -> Form:
    """Check a form definition and wrap it.

    Args:
        raw: The parsed form file (it is copied, so the caller may keep changing its own dict).
        path: Where it came from, for error messages.

    Returns:
        The checked :class:`Form`.

    Raises:
        FormError: The definition breaks the meta-schema or refers to things that do not exist.
    """
    where = str(path) if path else "form definition"
    errors = sorted(_meta_validator().iter_errors(raw), key=lambda e: list(map(str, e.absolute_path)))
    problems = [f"{_where(e)}: {e.message}" for e in errors]
    if not problems:
        problems = definition_problems(raw)
    if problems:
        shown = "\n  ".join(problems[:_MAX_REPORTED])
        raise FormError(f"{where} is not a valid form:\n  {shown}")
    raw = copy.deepcopy(raw)
    return Form(id=raw["id"], process=raw["process"], raw=raw, path=path)


def _check_id(kind: str, value: str) -> None:
    if not isinstance(value, str) or not _IDENTIFIER.match(value):
        raise UnknownForm(f"invalid {kind} {value!r}")


def load_form(process_id: str, form_id: str, forms_dir: Path | None = None) -> Form:
    """Load a checked form, once per process (cached).

    Args:
        process_id: The BPMN process id (the folder name).
        form_id: The user task id, or ``start`` for case registration (the file name).
        forms_dir: The forms folder; default the repository's ``forms/``.

    Returns:
        The :class:`Form`.

    Raises:
        UnknownForm: No such form (also for ids that are not plain identifiers).
        FormError: The file is not valid JSON, breaks the meta-schema, or its id/process do not
            match its place.
    """
    _check_id("process id", process_id)
    _check_id("form id", form_id)
    base = Path(forms_dir) if forms_dir is not None else FORMS_DIR
    return _load_cached(str(base.resolve()), process_id, form_id)


@lru_cache(maxsize=256)
def _load_cached(base: str, process_id: str, form_id: str) -> Form:
    path = Path(base) / process_id / f"{form_id}.json"
    if not path.is_file():
        raise UnknownForm(f"no form {process_id}/{form_id} in {base}")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise FormError(f"{path} is not valid JSON: {err}") from err
    form = form_from_dict(raw, path)
    if (form.process, form.id) != (process_id, form_id):
        raise FormError(f"{path} declares {form.process}/{form.id}; its place says {process_id}/{form_id}")
    return form


def form_ids(process_id: str, forms_dir: Path | None = None) -> list[str]:
    """The ids of the forms a process has (file names without ``.json``), sorted."""
    _check_id("process id", process_id)
    folder = (Path(forms_dir) if forms_dir is not None else FORMS_DIR) / process_id
    return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []


def clear_cache() -> None:
    """Forget loaded forms (after editing files in a running process, and in tests)."""
    _load_cached.cache_clear()
