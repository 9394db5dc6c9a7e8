"""Render case documents (notices) to reproducible PDF with WeasyPrint.

No Flask here: the web app, the timer worker and audit tools all call `render_pdf`.
The same context always gives the same bytes: fixed font file, metadata dated from
``issued_on``, a PDF identifier derived from the document number, no timestamps.
"""

import atexit
import logging
import mimetypes
import threading
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from hashlib import sha256
from importlib.resources import files
from io import BytesIO
from itertools import pairwise
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from fontTools.ttLib import TTFont
from jinja2 import ChainableUndefined, Environment, FileSystemLoader
from weasyprint import HTML
from weasyprint.css import ColorProfile
from weasyprint.text import ffi as weasyprint_ffi
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from .kinds import COMMON_REQUIRED, DOCUMENT_KINDS
from .qr import qr_svg

LOGGER = logging.getLogger(__name__)

#: The only font documents use (Debian package fonts-wqy-microhei); face 0 of the collection.
FONT_PATH = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
#: The @font-face family name; unique, so fontconfig can never substitute an installed font.
FONT_FAMILY = "Dibao WenQuanYi Micro Hei"
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
PDF_VARIANT = "pdf/a-3b"
OUTPUT_INTENT = "dibao-srgb"


class DocumentError(ValueError):
    """A document cannot be rendered from the data given."""


class FontMissingError(DocumentError):
    """The document font file is missing or unreadable."""


class ResourceRefusedError(DocumentError):
    """A document asked for a resource outside its own folder and font."""


def check_fonts() -> list[str]:
    """Check that the document font is usable.

    Returns:
        Human-readable problems; empty when documents will render with the right font.
    """
    if not FONT_PATH.is_file():
        return [f"font file missing: {FONT_PATH} (apt-get install fonts-wqy-microhei)"]
    try:
        cmap = _font_cmap(str(FONT_PATH))
    except Exception as exc:  # any parse failure is a problem to report
        return [f"font file unreadable: {FONT_PATH} ({exc})"]
    problems = []
    gaps = sorted({char for path in TEMPLATES_DIR.glob("*.*") for char in _uncovered(path.read_text(), cmap)})
    if gaps:
        problems.append(f"font lacks characters used by the templates: {''.join(gaps)}")
    if weasyprint_ffi.harfbuzz_subset is None:
        problems.append("libharfbuzz-subset0 missing: rendering falls back to fontTools (~30x slower)")
    return problems


def missing_glyphs(context: dict) -> list[str]:
    """List characters of the context the document font cannot draw (e.g. rare 生僻字).

    Args:
        context: the document data.

    Returns:
        Sorted distinct characters that would print as empty boxes.

    Raises:
        FontMissingError: the font file is absent.
    """
    if not FONT_PATH.is_file():
        raise FontMissingError(f"font file missing: {FONT_PATH}")
    cmap = _font_cmap(str(FONT_PATH))
    return sorted({char for text in _strings(context) for char in _uncovered(text, cmap)})


def render_html(kind: str, context: dict) -> str:
    """Render the HTML source of a document (what `render_pdf` lays out).

    Args:
        kind: a key of `DOCUMENT_KINDS`.
        context: the document data recorded on the case.

    Returns:
        The HTML text.

    Raises:
        DocumentError: unknown kind, missing required fields, a malformed or out-of-order date.
    """
    spec = DOCUMENT_KINDS.get(kind)
    if spec is None:
        raise DocumentError(f"unknown document kind {kind!r}; known: {', '.join(DOCUMENT_KINDS)}")
    _check_context(kind, spec, context)
    template = _environment().get_template(spec["template"])
    fonts = {"font_url": FONT_PATH.as_uri(), "font_family": FONT_FAMILY}
    qr = qr_svg(context["verify_url"]) if context.get("verify_url") else None
    return template.render(doc=context, kind=kind, spec=spec, qr=qr, **fonts)


def render_pdf(kind: str, context: dict) -> bytes:
    """Render a document to PDF/A-3b bytes, identical for identical input.

    Args:
        kind: a key of `DOCUMENT_KINDS` (e.g. 'approval_notice', 'public_notice_list').
        context: the document data recorded on the case (plain JSON values).

    Returns:
        The PDF file content.

    Raises:
        DocumentError: bad kind or data; FontMissingError when the font file is absent;
            ResourceRefusedError when the document refers to a forbidden resource.
    """
    html = render_html(kind, context)
    gaps = missing_glyphs(context)
    if gaps:
        LOGGER.warning("%s %s: the font lacks %s (printed as boxes)", kind, context["number"], "".join(gaps))
    identifier = sha256(f"{kind}:{context['number']}".encode()).hexdigest()[:32].encode()
    with _LOCK:
        document = HTML(string=html, base_url=TEMPLATES_DIR.as_uri() + "/", url_fetcher=URL_FETCHER)
        try:
            return document.write_pdf(
                font_config=_font_config(),
                color_profiles=_color_profiles(),
                output_intent=OUTPUT_INTENT,
                pdf_variant=PDF_VARIANT,
                pdf_identifier=identifier,
            )
        except FatalURLFetchingError as exc:
            raise ResourceRefusedError(str(exc.__cause__ or exc)) from exc


class DocumentURLFetcher(URLFetcher):
    """Serve only the templates folder and the font file; refuse everything else."""

    def __init__(self):
        """Create a fetcher whose refusals stop the rendering."""
        super().__init__(allowed_protocols=("file",), fail_on_errors=True)

    def fetch(self, url, headers=None):
        """Return the bytes of an allowed local file (see `allowed_path`); ``headers`` are ignored.

        Raises:
            ResourceRefusedError: any other scheme, host or path.
        """
        path = allowed_path(url)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})


def allowed_path(url: str) -> Path:
    """Map a URL to a file documents may read.

    Args:
        url: an absolute URL.

    Returns:
        The resolved local path (the font file, or a file inside the templates folder).

    Raises:
        ResourceRefusedError: for a non-file URL, a remote host, or any other path.
    """
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        raise ResourceRefusedError(f"documents may not fetch {url!r}: only local template and font files")
    path = Path(url2pathname(unquote(parts.path))).resolve()
    if path == FONT_PATH.resolve() or (path.is_relative_to(TEMPLATES_DIR) and path.is_file()):
        return path
    raise ResourceRefusedError(f"documents may not read {str(path)!r}: outside the templates folder")


def cn_date(value: str) -> str:
    """Format an ISO date as in official documents: 2026-12-08 → 2026年12月8日 (GB/T 9704)."""
    try:
        day = date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return f"{day.year}年{day.month}月{day.day}日"


def cn_month(value: str) -> str:
    """Format an ISO month: 2027-01 → 2027年1月; other text is returned unchanged."""
    year, _, month = str(value).partition("-")
    if year.isdigit() and month.isdigit():
        return f"{year}年{int(month)}月"
    return str(value)


def percent(value: str) -> str:
    """Format a rate: '0.20' → '20%'; other text is returned unchanged."""
    try:
        number = Decimal(str(value)) * 100
    except InvalidOperation:
        return str(value)
    return f"{number.normalize():f}%"


def money(value) -> str:
    """Format an amount in yuan with two decimals: '1022' → '1022.00'; other text is returned unchanged."""
    try:
        return f"{Decimal(str(value)).quantize(Decimal('0.01'), ROUND_HALF_UP):f}"
    except InvalidOperation:
        return str(value)


URL_FETCHER = DocumentURLFetcher()
_LOCK = threading.Lock()
_STATE = {}


def _environment() -> Environment:
    if "env" not in _STATE:
        env = Environment(
            loader=FileSystemLoader(TEMPLATES_DIR),
            autoescape=True,
            undefined=ChainableUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.filters.update(cn_date=cn_date, cn_month=cn_month, percent=percent, money=money)
        _STATE["env"] = env
    return _STATE["env"]


def _check_context(kind: str, spec: dict, context: dict) -> None:
    """Raise DocumentError for missing keys or parts and for malformed or out-of-order dates."""
    def absent(keys):
        return all(context.get(key) in (None, "", []) for key in keys)

    required = [key if isinstance(key, tuple) else (key,) for key in (*COMMON_REQUIRED, *spec["required"])]
    missing = [" or ".join(keys) for keys in required if absent(keys)]
    for name, keys in spec.get("parts", {}).items():
        value = context.get(name)
        if value in (None, ""):
            continue
        entries = {f"{name}[{i}]": v for i, v in enumerate(value)} if isinstance(value, list) else {name: value}
        missing += [
            f"{label}.{key}"
            for label, entry in entries.items()
            for key in keys
            if not isinstance(entry, dict) or entry.get(key) in (None, "")
        ]
    if missing:
        raise DocumentError(f"{kind}: missing fields {', '.join(missing)}")
    order = spec.get("dates", ())
    days = {key: _iso_date(kind, key, context[key]) for key in ("issued_on", *order)}
    for before, after in pairwise(order):
        if days[after] < days[before]:
            raise DocumentError(f"{kind}: {after} ({days[after]}) is before {before} ({days[before]})")


def _iso_date(kind: str, key: str, value) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise DocumentError(f"{kind}: {key} must be an ISO date, got {value!r}") from exc


def _font_config() -> FontConfiguration:
    # Reused across renders: WeasyPrint copies the font into its temporary folder once.
    if "font_config" not in _STATE:
        _STATE["font_config"] = FontConfiguration()
    return _STATE["font_config"]


def _color_profiles() -> dict:
    # PDF/A needs an sRGB output intent. WeasyPrint 70 opens its own sRGB2014.icc for each
    # render and never closes it (a ResourceWarning); the same profile given from memory avoids it.
    if "srgb" not in _STATE:
        _STATE["srgb"] = (files("weasyprint.pdf") / "sRGB2014.icc").read_bytes()
    components = (["r"], ["g"], ["b"])
    profile = ColorProfile(BytesIO(_STATE["srgb"]), "sRGB2014.icc", "relative-colorimetric", components)
    return {OUTPUT_INTENT: profile}


# FontConfiguration deletes its temporary copy of the font (~5 MB) when collected.
atexit.register(_STATE.pop, "font_config", None)


@lru_cache(maxsize=4)
def _font_cmap(path: str) -> frozenset[int]:
    with TTFont(path, fontNumber=0, lazy=True) as font:
        return frozenset(font.getBestCmap())


def _uncovered(text: str, cmap: frozenset[int]):
    return (char for char in text if ord(char) not in cmap and not char.isspace())


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)
