"""Files as a scanner, a phone or an attacker would make them, for the attachment tests."""

import random
import zlib
from io import BytesIO

from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject, TextStringObject


def jpeg(size: tuple[int, int] = (40, 30)) -> bytes:
    """A small real JPEG photo."""
    out = BytesIO()
    Image.new("RGB", size, (200, 180, 160)).save(out, "JPEG")
    return out.getvalue()


def png(size: tuple[int, int] = (40, 30), noise: bool = False) -> bytes:
    """A real PNG; with noise it barely compresses (about 3 bytes per pixel)."""
    image = Image.new("RGB", size, (255, 255, 255))
    if noise:
        rng = random.Random(8)
        image.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(size[0] * size[1])])
    out = BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _write(writer: PdfWriter) -> bytes:
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf(javascript: str | None = None, launch: str | None = None, page_data: bytes | None = None) -> bytes:
    """A one-page PDF (pypdf), optionally with a document-level script, an open action that launches a program,
    or ``page_data`` as the page's content stream."""
    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    if page_data is not None:
        stream = DecodedStreamObject()
        stream.set_data(page_data)
        page[NameObject("/Contents")] = writer._add_object(stream)
    if javascript:  # a document-level script, run when the file opens: /Names << /JavaScript << /Names [...] >> >>
        script = writer._add_object(DictionaryObject({
            NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject(javascript)}))
        scripts = DictionaryObject({NameObject("/Names"): ArrayObject([TextStringObject("open"), script])})
        writer._root_object[NameObject("/Names")] = DictionaryObject({NameObject("/JavaScript"): scripts})
    if launch:
        action = DictionaryObject({NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject(launch)})
        writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)
    return _write(writer)


def encrypted_pdf() -> bytes:
    """A PDF that opens without a password but is encrypted (its objects cannot be inspected)."""
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    return _write(writer)


def pdf_with_packed_action(action: bytes) -> bytes:
    """A PDF 1.5 whose open action sits in a compressed object stream (found only by reading the object tree).

    Objects 1–3 are the catalog, page tree and page; object 4 is an object stream holding object 5,
    ``action`` (a PDF dictionary); object 6 is the cross-reference stream.
    """
    body = [b"<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"]
    out, offsets = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n"), {}
    for number, text in enumerate(body, start=1):
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, text)
    header = b"5 0 "
    packed = zlib.compress(header + action)
    offsets[4] = len(out)
    out += (b"4 0 obj\n<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
            % (len(header), len(packed))) + packed + b"\nendstream\nendobj\n"
    offsets[6] = len(out)
    rows = [b"\x00\x00\x00\x00\x00\xff\xff"]
    rows += [b"\x01" + offsets[n].to_bytes(4, "big") + b"\x00\x00" for n in (1, 2, 3, 4)]
    rows += [b"\x02" + (4).to_bytes(4, "big") + b"\x00\x00", b"\x01" + offsets[6].to_bytes(4, "big") + b"\x00\x00"]
    table = b"".join(rows)
    out += (b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n" % len(table)
            + table + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % offsets[6])
    return bytes(out)
