"""Uploaded files: type checked by content (magic bytes), size limited, stored by content hash.

Modules keep the returned ``StoredUpload`` fields in their own tables and decide who may
download a file; this module only checks and stores bytes under var/uploads/.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from engagement.errors import InvalidInput
from engagement.i18n import _
from engagement.settings import VAR_DIR

UPLOAD_DIR = VAR_DIR / "uploads"
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
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".part")
        temporary.write_bytes(data)
        temporary.replace(path)
    return StoredUpload(key=key, kind=kind, content_type=CONTENT_TYPES[kind], size=len(data),
                        original_name=clean_name(original_name))


def upload_path(key: str) -> Path:
    if "/" in key or "\\" in key or key.startswith("."):
        raise InvalidInput("invalid file key")
    return UPLOAD_DIR / key[:2] / key
