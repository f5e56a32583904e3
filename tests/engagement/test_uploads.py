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


# --- strip_image_metadata ------------------------------------------------------


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    import zlib

    return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")


def _png(*extra: bytes) -> bytes:
    import zlib

    header = _png_chunk(b"IHDR", (1).to_bytes(4, "big") * 2 + bytes([8, 0, 0, 0, 0]))  # 1×1 greyscale
    pixels = _png_chunk(b"IDAT", zlib.compress(b"\x00\x80"))
    return b"\x89PNG\r\n\x1a\n" + header + b"".join(extra) + pixels + _png_chunk(b"IEND", b"")


def _jpeg(*segments: bytes, scan: bytes = b"\x12\xff\x00\x34\xff\xd0\x56", trailer: bytes = b"") -> bytes:
    def segment(marker: int, payload: bytes) -> bytes:
        return bytes([0xFF, marker]) + (len(payload) + 2).to_bytes(2, "big") + payload

    jfif = segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    tables = segment(0xDB, b"\x00" + bytes(64))
    frame = segment(0xC0, b"\x08\x00\x01\x00\x01\x01\x01\x11\x00")
    start_of_scan = segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
    return b"\xff\xd8" + jfif + b"".join(segments) + tables + frame + start_of_scan + scan + b"\xff\xd9" + trailer


def test_jpeg_metadata_is_removed_and_the_image_data_kept():
    from engagement.uploads import strip_image_metadata

    def segment(marker: int, payload: bytes) -> bytes:
        return bytes([0xFF, marker]) + (len(payload) + 2).to_bytes(2, "big") + payload

    exif = segment(0xE1, b"Exif\x00\x00GPS 29.29N 121.43E")
    comment = segment(0xFE, b"camera1")
    xmp = segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00<x:xmp>")
    original = _jpeg(exif, comment, xmp, trailer=b"appended-after-EOI")
    stripped = strip_image_metadata(original)
    assert stripped == _jpeg()  # the scan's stuffed 0xFF00 and restart marker are copied as they were
    assert b"GPS" not in stripped and b"camera1" not in stripped and b"appended" not in stripped
    assert strip_image_metadata(stripped) == stripped


def test_png_text_and_exif_chunks_are_removed():
    from engagement.uploads import strip_image_metadata

    gamma = _png_chunk(b"gAMA", (45455).to_bytes(4, "big"))
    original = _png(gamma, _png_chunk(b"tEXt", b"Author\x00Zhang San 13812345678"),
                    _png_chunk(b"eXIf", b"MM\x00*GPS"), _png_chunk(b"tIME", bytes(7)))
    stripped = strip_image_metadata(original)
    assert stripped == _png(gamma)
    assert b"13812345678" not in stripped and b"GPS" not in stripped


def test_damaged_images_are_refused_and_other_files_left_alone():
    from engagement.uploads import strip_image_metadata

    with pytest.raises(InvalidInput):
        strip_image_metadata(b"\xff\xd8\xff\xe1\x00\xffshort")
    with pytest.raises(InvalidInput):
        strip_image_metadata(_png()[:-12])  # no IEND
    assert strip_image_metadata(b"%PDF-1.7 x") == b"%PDF-1.7 x"
