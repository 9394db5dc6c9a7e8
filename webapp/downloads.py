"""File downloads: content types and Content-Disposition headers with Chinese file names."""

from urllib.parse import quote

from sqlalchemy.orm import Session

from workflows.store import PaymentRoster, Township

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def disposition(kind: str, ascii_name: str, name: str) -> str:
    """Content-Disposition with an ASCII fallback and the UTF-8 name (RFC 6266, RFC 5987 ``filename*``).

    Args:
        kind: ``attachment`` (save) or ``inline`` (show, e.g. a PDF in the browser).
        ascii_name: the name for clients that read only ``filename`` (the document number).
        name: the real name, in Chinese.
    """
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def roster_filename(session: Session, found: PaymentRoster, suffix: str) -> str:
    """The file name of a roster download: 凤凰北街街道2027-01发放花名册.xlsx."""
    township = session.get(Township, found.township_code)
    return f"{township.name if township else found.township_code}{found.month}发放花名册{suffix}"
