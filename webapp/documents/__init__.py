"""Case documents (notices) rendered to reproducible PDF; no Flask dependency."""

from webapp.documents.render import (
    DOCUMENT_KINDS,
    FONT_PATH,
    DocumentError,
    FontMissingError,
    ResourceRefusedError,
    check_fonts,
    missing_glyphs,
    render_html,
    render_pdf,
)

__all__ = [
    "DOCUMENT_KINDS",
    "FONT_PATH",
    "DocumentError",
    "FontMissingError",
    "ResourceRefusedError",
    "check_fonts",
    "missing_glyphs",
    "render_html",
    "render_pdf",
]
