"""Uploads are checked by their content, not their name, and limited in size."""

import io
import zipfile

import pytest

from engagement.errors import InvalidInput
from engagement.uploads import MB, store_upload, upload_path

ALL = frozenset({"pdf", "docx", "png", "jpeg"})


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data, kind",
    [(b"%PDF-1.7\n...", "pdf"), (b"\x89PNG\r\n\x1a\n....", "png"), (b"\xff\xd8\xff\xe0....", "jpeg"), (docx_bytes(), "docx")],
)
def test_accepted_types_are_stored_by_content_hash(data, kind):
    stored = store_upload(data, f"草案.{kind}", ALL, 20 * MB)
    assert stored.kind == kind and stored.size == len(data)
    assert upload_path(stored.key).read_bytes() == data


@pytest.mark.parametrize(
    "data, name",
    [(b"<script>alert(1)</script>", "evil.pdf"), (b"MZ\x90\x00", "setup.png"), (b"PK\x03\x04nonsense", "a.docx"), (b"", "a.pdf")],
)
def test_content_that_is_not_what_the_name_claims_is_refused(data, name):
    with pytest.raises(InvalidInput):
        store_upload(data, name, ALL, 20 * MB)


def test_size_and_allowed_kinds_are_enforced():
    with pytest.raises(InvalidInput):
        store_upload(b"%PDF-" + b"0" * MB, "big.pdf", ALL, MB)
    with pytest.raises(InvalidInput):
        store_upload(b"%PDF-1.7", "a.pdf", frozenset({"png", "jpeg"}), MB)


def test_file_names_cannot_escape_the_upload_folder():
    stored = store_upload(b"%PDF-1.7 x", "../../etc/passwd", ALL, MB)
    assert stored.original_name == "passwd"
    with pytest.raises(InvalidInput):
        upload_path("../secret")
