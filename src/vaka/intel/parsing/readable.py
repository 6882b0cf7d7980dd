"""Why an upload holds no text the extractor can read: said before anything is stored.

Decoding is lossy elsewhere (a stray byte in a report must not lose the report), so the
files that would only yield noise — empty ones, binaries, text in another encoding, a
password-protected PDF — are named here with the reason and what to do instead.
"""

import io

# The first bytes of files people upload by mistake, and what they are.
_BINARY = [
    (b"PK\x03\x04", "a ZIP archive or an Office document (.docx, .xlsx)"),
    (b"\xd0\xcf\x11\xe0", "an old Office document (.doc, .xls)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"MZ", "a Windows program"),
    (b"\x7fELF", "a Linux program"),
    (b"{\\rtf", "an RTF document"),
]
# Share of undecodable characters above which a "text" file is taken as another encoding.
MAX_UNDECODABLE = 0.05
MIN_UNDECODABLE = 16
SAMPLE = 65536


def why_unreadable(data: bytes, filename: str) -> str | None:
    """What keeps the extractor from reading ``data`` (a sentence for the uploader), or
    None when it can be read. Looks at a bounded sample only."""
    if not data or data.isspace():  # not strip(): that would copy a large file
        return "the file is empty: there is no text to look for indicators in"
    head = data[:SAMPLE]
    if b"%PDF-" in head[:1024]:
        return _pdf_problem(data)
    if filename.lower().endswith(".pdf"):
        return None  # the PDF reader says it is not one
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None  # UTF-16 with a byte-order mark: decoded as such
    for signature, what in _BINARY:
        if head.startswith(signature):
            return f"the file is {what}, not text: upload the advisory as .txt, .md, " \
                   f".html or .pdf"
    if b"\x00" in head:
        return "the file is binary, not text: upload the advisory as .txt, .md, .html " \
               "or .pdf"
    text = head.decode("utf-8", errors="replace")
    # A few stray bytes are replaced and the rest read; a whole file of them is not text.
    if text.count("\ufffd") > max(MIN_UNDECODABLE, MAX_UNDECODABLE * len(text)):
        return "the file is not UTF-8 text (perhaps an older encoding such as " \
               "Windows-1252): save it as UTF-8 and upload it again"
    return None


def _pdf_problem(data: bytes) -> str | None:
    # Imported here: pypdf is only needed for PDFs and costs time to import.
    from pypdf import PasswordType, PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            return "the PDF is protected by a password: save a copy without the password " \
                   "and upload that"
    except Exception:  # a damaged file: the extractor says what it could not read
        return None
    return None
