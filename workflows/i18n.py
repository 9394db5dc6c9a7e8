"""Marks display text for the web layer's translation catalogue (``webapp/translations``).

The engine layer never translates: it keeps its labels in Chinese, the language of the procedure and
of every issued document. ``N_`` only tags a Chinese label so that ``pybabel extract`` puts it in the
catalogue; the web layer looks the label up in the user's language when it shows it
(``webapp.labels``).
"""


def N_(text: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Return ``text`` unchanged (a marker for ``pybabel extract``).

    Args:
        text: A Chinese label.

    Returns:
        The same text.
    """
    return text
