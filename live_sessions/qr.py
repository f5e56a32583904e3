"""QR codes as server-rendered SVG (segno): a registration's link, scanned at the door."""

from __future__ import annotations

import segno

QR_SCALE = 5


def svg_data_uri(text: str) -> str:
    """An ``<img src>`` for ``text``: black on white with the standard quiet zone, error correction M."""
    return segno.make(text, error="m").svg_data_uri(scale=QR_SCALE, dark="#000", light="#fff")


def size_of(text: str) -> int:
    """The image's width and height in CSS pixels."""
    return segno.make(text, error="m").symbol_size(scale=QR_SCALE)[0]
