"""Turn an uploaded unit specification (.txt, .docx or .pdf) into text for ``parse_spec``.

Word tables come out the way the parser expects exported tables: cells joined by tabs, rows
by newlines, in document order with the paragraphs around them.  Anything that cannot be read
raises ``SpecParseError`` with a message fit to show to the uploader.
"""

from __future__ import annotations

import io
from pathlib import PurePath

from qualifications.archives import ArchiveRefused, check_archive
from qualifications.importer import SpecParseError

_ZIP_MAGIC = b"PK\x03\x04"
_PDF_MAGIC = b"%PDF-"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .doc / .xls


def extract_text(name: str, data: bytes) -> str:
    """Return the text of the file ``name`` whose content is ``data``."""
    extension = PurePath(name).suffix.lower()
    readers = {".txt": _text_from_txt, ".docx": _text_from_docx, ".pdf": _text_from_pdf}
    reader = readers.get(extension)
    if reader is None:
        hint = " Save it from Word as .docx first." if extension == ".doc" else ""
        raise SpecParseError(
            f"{name}: files of type '{extension or 'no extension'}' cannot be read; "
            f"upload a .txt, .docx or .pdf file.{hint}"
        )
    if not data:
        raise SpecParseError(f"{name}: the file is empty.")
    return reader(name, data)


def _text_from_txt(name: str, data: bytes) -> str:
    if _sniff(data):
        raise SpecParseError(f"{name}: {_actually(data, 'plain text')}.")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")  # Notepad's "Unicode" encoding carries a byte order mark
    if b"\x00" in data:
        raise SpecParseError(f"This does not look like text: {name} contains binary data.")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SpecParseError(
        f"This does not look like text: {name} is neither UTF-8 nor Windows-1252 text."
    )


def _text_from_docx(name: str, data: bytes) -> str:
    if not data.startswith(_ZIP_MAGIC):
        raise SpecParseError(f"{name}: {_actually(data, 'a Word .docx document')}.")
    try:
        check_archive(data)  # before python-docx unpacks and parses every part
    except ArchiveRefused as error:
        raise SpecParseError(f"{name} cannot be read: {error}.") from error
    # Imported here so plain-text uploads do not pay for loading python-docx.
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # zipfile, lxml and python-docx each raise their own types
        message = f"{name}: the Word document is damaged or not a .docx ({exc})."
        raise SpecParseError(message) from exc
    return "\n".join(_block_lines(document))


def _block_lines(container) -> list[str]:
    """Paragraphs and tables of a document (or table cell), in document order."""
    from docx.table import Table

    lines: list[str] = []
    for block in container.iter_inner_content():
        if isinstance(block, Table):
            lines.extend(_table_lines(block))
        else:
            lines.append(block.text)
    return lines


def _table_lines(table) -> list[str]:
    """One line per row, cells joined by tabs.

    Merged cells come back from python-docx once per grid column they span; a cell repeated
    across the row is kept once, and one continued from the row above is left empty, so an
    outcome spanning several criteria rows is not repeated on every row.
    """
    lines = []
    above: list = []
    for row in table.rows:
        texts, seen = [], []
        for column, cell in enumerate(row.cells):
            if cell._tc in seen:
                continue
            seen.append(cell._tc)
            continued = column < len(above) and above[column] is cell._tc
            texts.append("" if continued else _cell_text(cell))
        above = [cell._tc for cell in row.cells]
        lines.append("\t".join(texts))
    return lines


def _cell_text(cell) -> str:
    # A tab inside a cell would read as a cell boundary.
    return "\n".join(_block_lines(cell)).replace("\t", " ").strip("\n")


def _text_from_pdf(name: str, data: bytes) -> str:
    if not data.startswith(_PDF_MAGIC):
        raise SpecParseError(f"{name}: {_actually(data, 'a PDF')}.")
    from pdfminer.high_level import extract_text as pdf_extract_text
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    try:
        text = pdf_extract_text(io.BytesIO(data))
    except (PDFPasswordIncorrect, PDFEncryptionError) as exc:
        raise SpecParseError(f"{name}: the PDF is password protected ({exc}).") from exc
    except Exception as exc:  # pdfminer raises many unrelated types on damaged input
        raise SpecParseError(f"{name}: the PDF is damaged and cannot be read ({exc}).") from exc
    if not text.strip():
        raise SpecParseError(
            f"{name}: the PDF has no text to read; it is probably a scanned image. "
            "Upload the Word version or a PDF saved from Word."
        )
    return text


def _sniff(data: bytes) -> str:
    """Name the real type of an upload whose content contradicts its extension."""
    if data.startswith(_PDF_MAGIC):
        return "PDF"
    if data.startswith(_ZIP_MAGIC):
        return "Word (.docx) or other zip"
    if data.startswith(_OLE_MAGIC):
        return "old Word (.doc)"
    return ""


def _actually(data: bytes, expected: str) -> str:
    """Say what the upload really is: "this is a PDF file, not plain text"."""
    kind = _sniff(data)
    if not kind:
        return f"this is not {expected}"
    article = "an" if kind[:1].lower() in "aeiou" else "a"
    return f"this is {article} {kind} file, not {expected}"
