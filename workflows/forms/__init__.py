"""Forms: one JSON file per user task (``forms/<process_id>/<task_id>.json``), validated here.

The engine validates every submission with :func:`validate_submission`, whether it came from the
web UI (decoded by :func:`decode_web_form`) or the JSON API; browser checks are a convenience.
The file format is ``forms/_meta.schema.json`` (its descriptions say what each key means).
"""

from .definitions import Form, FormError, UnknownForm, clear_cache, form_from_dict, form_ids, load_form, localized
from .display import display_values
from .validation import FORM_KEY, validate_submission
from .web import decode_web_form, initial_values

__all__ = [
    "FORM_KEY",
    "Form",
    "FormError",
    "UnknownForm",
    "clear_cache",
    "decode_web_form",
    "display_values",
    "form_from_dict",
    "form_ids",
    "initial_values",
    "load_form",
    "localized",
    "validate_submission",
]
