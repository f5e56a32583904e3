"""Uploaded files: type checked by content (magic bytes), size limited, stored by content hash.

Modules keep the returned ``StoredUpload`` fields in their own tables and decide who may
download a file; this module only checks and stores bytes under var/uploads/.
"""

from __future__ import annotations

import hashlib
import io
import logging
import zipfile
from dataclasses import dataclass
from pathlib import Path

from engagement.errors import InvalidInput, ServiceUnavailable
from engagement.i18n import _
from engagement.settings import VAR_DIR

log = logging.getLogger("engagement.uploads")

UPLOAD_DIR = VAR_DIR / "uploads"
STORAGE_RETRY_AFTER_SECONDS = 300
MB = 1024 * 1024

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "png": "image/png",
    "jpeg": "image/jpeg",
}


@dataclass(frozen=True)
class StoredUpload:
    key: str  # content hash + extension, e.g. "3f2a….pdf"
    kind: str  # pdf, docx, png or jpeg
    content_type: str
    size: int
    original_name: str


def detect_kind(data: bytes) -> str | None:
    """The real type of the bytes, whatever the file name or declared content type says."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"PK\x03\x04") and _is_docx(data):
        return "docx"
    return None


def _is_docx(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        return False
    return "[Content_Types].xml" in names and "word/document.xml" in names


def clean_name(name: str) -> str:
    base = Path(name or "file").name.replace("\x00", "")
    return base[-120:] or "file"


def store_upload(data: bytes, original_name: str, allowed: frozenset[str], max_bytes: int) -> StoredUpload:
    if not data:
        raise InvalidInput(_("The file is empty."))
    if len(data) > max_bytes:
        raise InvalidInput(_("The file is larger than %(mb)d MB.") % {"mb": max_bytes // MB})
    kind = detect_kind(data)
    if kind is None or kind not in allowed:
        raise InvalidInput(
            _("This file type is not accepted. Accepted: %(kinds)s.") % {"kinds": ", ".join(sorted(allowed)).upper()}
        )
    key = f"{hashlib.sha256(data).hexdigest()}.{kind}"
    path = upload_path(key)
    if not path.exists():
        _write_whole(path, data)
    return StoredUpload(key=key, kind=kind, content_type=CONTENT_TYPES[kind], size=len(data),
                        original_name=clean_name(original_name))


def _write_whole(path: Path, data: bytes) -> None:
    """Write the file completely or not at all: a full disk or an I/O error leaves nothing half-written.

    Call it before the row that names the file is written (or inside that row's transaction): the
    error is a 503 with Retry-After, and the transaction rolls back.
    """
    temporary = path.with_suffix(".part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_bytes(data)
        temporary.replace(path)
    except OSError as error:
        log.error("upload not stored (%s): %s", path.name, error)
        temporary.unlink(missing_ok=True)
        raise ServiceUnavailable(_("The file could not be stored. Please try again later."),
                                 retry_after=STORAGE_RETRY_AFTER_SECONDS) from None


def upload_path(key: str) -> Path:
    if "/" in key or "\\" in key or key.startswith("."):
        raise InvalidInput("invalid file key")
    return UPLOAD_DIR / key[:2] / key


# --- Image metadata -------------------------------------------------------------

# JPEG markers kept: frames, tables, scans, restart intervals, and APP0 (JFIF: density only) and APP14
# (Adobe: colour transform). Dropped: APP1-APP13, APP15 (EXIF with GPS and camera serials, XMP, IPTC,
# ICC profiles) and COM (comments).
_JPEG_KEPT_APP = {0xE0, 0xEE}
# PNG chunks kept: the critical ones and those that only say how to show the pixels. Dropped: tEXt,
# zTXt, iTXt (free text), eXIf, tIME, iCCP and anything unknown.
_PNG_KEPT = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"sBIT", b"bKGD", b"pHYs"}
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def strip_image_metadata(data: bytes) -> bytes:
    """A JPEG or PNG with its metadata removed (EXIF, GPS, XMP, comments, text chunks); other bytes unchanged.

    The pixels are copied as they are: no decoder is needed (the project has no imaging library),
    and the image looks the same. Broken images are refused with InvalidInput.
    """
    kind = detect_kind(data)
    try:
        if kind == "jpeg":
            return _strip_jpeg(data)
        if kind == "png":
            return _strip_png(data)
    except (IndexError, ValueError):
        raise InvalidInput(_("The image file is damaged.")) from None
    return data


def _strip_jpeg(data: bytes) -> bytes:
    out = bytearray(b"\xff\xd8")
    position = 2
    while True:
        if data[position] != 0xFF:
            raise ValueError("not a marker")
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte before a marker
            position += 1
            continue
        if marker == 0xD9:  # end of image: anything after it (phones append data there) is dropped
            out += b"\xff\xd9"
            return bytes(out)
        length = int.from_bytes(data[position + 2 : position + 4], "big")
        if length < 2 or position + 2 + length > len(data):
            raise ValueError("bad segment length")
        segment_end = position + 2 + length
        if marker == 0xDA:  # start of scan: the entropy-coded data runs to the next real marker
            segment_end = _scan_end(data, segment_end)
        if not (0xE0 <= marker <= 0xEF or marker == 0xFE) or marker in _JPEG_KEPT_APP:
            out += data[position:segment_end]
        position = segment_end


def _scan_end(data: bytes, position: int) -> int:
    while True:
        position = data.index(b"\xff", position)
        following = data[position + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:  # stuffed byte, restart, fill
            position += 1
            continue
        return position


def _strip_png(data: bytes) -> bytes:
    out = bytearray(_PNG_SIGNATURE)
    position = len(_PNG_SIGNATURE)
    while position < len(data):
        length = int.from_bytes(data[position : position + 4], "big")
        chunk_type = data[position + 4 : position + 8]
        end = position + 12 + length
        if len(chunk_type) != 4 or end > len(data):
            raise ValueError("truncated chunk")
        if chunk_type in _PNG_KEPT:
            out += data[position:end]
        if chunk_type == b"IEND":
            return bytes(out)
        position = end
    raise ValueError("no IEND chunk")
