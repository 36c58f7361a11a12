"""The QR code printed on every issued form, shared by the docx and pdf renderers.

The code holds the form reference (and, on a PDF page, the page number) so
that a printed and scanned form can be matched to its issue without reading
any text. Both renderers draw it from here, so a reference always gives the
same modules whatever the output format.
"""

from __future__ import annotations

import struct
import zlib

import zxingcpp

# zxing-cpp (C++) encodes a short reference in about 0.2 ms, three times faster than
# the pure-Python segno: with a code on every PDF page, drawn again in the print
# batches, that is a third of the time of ``generate``. The inbox reads the codes
# back with the same library.
_FORMAT = zxingcpp.BarcodeFormat.QRCode
# Light modules around the code: the standard asks for 4, but the code is
# printed on a white page, away from other marks, where 2 are enough.
_QUIET_ZONE = 2
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_DARK_AS_ONE = bytes.maketrans(bytes(range(256)), b"\x01" * 128 + b"\x00" * 128)


def qr_payload(reference: str, page: int | None = None, pages: int | None = None) -> str:
    """The text a form's QR code holds: the reference, then ``p<page>/<pages>`` on a page."""
    if page is None or pages is None:
        return reference
    return f"{reference} p{page}/{pages}"


def qr_rows(payload: str) -> list[bytes]:
    """The modules of the QR code of ``payload``, one ``bytes`` per row, dark as 1.

    Error correction level M (15 % of the code can be lost): enough for a
    crumpled or stamped page, while keeping the code small.
    """
    code = zxingcpp.create_barcode(payload, _FORMAT, ec_level="M")
    image = memoryview(code.to_image(scale=1, add_quiet_zones=False))  # type: ignore[arg-type]
    side = image.shape[0] if image.shape else 0
    pixels = image.tobytes().translate(_DARK_AS_ONE)
    return [pixels[row * side : (row + 1) * side] for row in range(side)]


def qr_matrix(payload: str) -> list[list[bool]]:
    """The modules of the QR code of ``payload``, dark as ``True``, without quiet zone."""
    return [[bool(module) for module in row] for row in qr_rows(payload)]


def qr_png(payload: str, scale: int = 4) -> bytes:
    """The QR code of ``payload`` as a black and white PNG, ``scale`` pixels per module.

    A 1-bit greyscale PNG with a 2-module quiet zone: the format needs only a
    header and a zlib stream, so no imaging library is pulled in for it.
    """
    if scale < 1:
        raise ValueError(f"QR scale must be at least 1, not {scale}")
    matrix = qr_rows(payload)
    side = (len(matrix) + 2 * _QUIET_ZONE) * scale
    row_bytes = (side + 7) // 8
    padding = "1" * (row_bytes * 8 - side)  # fills the last byte with white
    widen = str.maketrans({"0": "0" * scale, "1": "1" * scale})
    quiet = "1" * _QUIET_ZONE
    light = b"\x00" + b"\xff" * row_bytes  # filter byte 0, then white pixels
    rows = [light * (_QUIET_ZONE * scale)]
    for modules in matrix:
        bits = "".join("0" if dark else "1" for dark in modules)  # PNG greyscale: 0 is black
        bits = (quiet + bits + quiet).translate(widen) + padding
        rows.append((b"\x00" + int(bits, 2).to_bytes(row_bytes, "big")) * scale)
    rows.append(rows[0])
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # 1 bit, greyscale
    return b"".join(
        (
            _PNG_SIGNATURE,
            _png_chunk(b"IHDR", header),
            _png_chunk(b"IDAT", zlib.compress(b"".join(rows), 9)),
            _png_chunk(b"IEND", b""),
        )
    )


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
