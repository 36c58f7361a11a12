"""The QR code printed on every issued form, shared by the docx and pdf renderers.

The code holds the form reference (and, on a PDF page, the page number) so
that a printed and scanned form can be matched to its issue without reading
any text. Both renderers draw it from here, so a reference always gives the
same modules whatever the output format.
"""

from __future__ import annotations

import struct
import zlib

import segno

# segno picks the best of the eight masks by scoring each one in pure Python,
# which costs about 2 ms: more than a whole .docx render. Every mask is valid
# (ISO/IEC 18004 stores it in the format information, so any reader finds it);
# the scoring only avoids unlucky patterns, which short references printed at
# 2 cm do not need. A fixed mask makes a QR code about five times cheaper.
_MASK = 0
# Light modules around the code: the standard asks for 4, but the code is
# printed on a white page, away from other marks, where 2 are enough.
_QUIET_ZONE = 2
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def qr_payload(reference: str, page: int | None = None, pages: int | None = None) -> str:
    """The text a form's QR code holds: the reference, then ``p<page>/<pages>`` on a page."""
    if page is None or pages is None:
        return reference
    return f"{reference} p{page}/{pages}"


def qr_matrix(payload: str) -> list[list[bool]]:
    """The modules of the QR code of ``payload``, dark as ``True``, without quiet zone.

    Error correction level M (15 % of the code can be lost): enough for a
    crumpled or stamped page, while keeping the code small.
    """
    code = segno.make(payload, error="m", boost_error=False, micro=False, mask=_MASK)
    return [[bool(module) for module in row] for row in code.matrix]


def qr_png(payload: str, scale: int = 4) -> bytes:
    """The QR code of ``payload`` as a black and white PNG, ``scale`` pixels per module.

    A 1-bit greyscale PNG with a 2-module quiet zone, written here rather than
    by segno's PNG writer, which draws pixel by pixel and would cost more than
    the rest of a .docx render.
    """
    if scale < 1:
        raise ValueError(f"QR scale must be at least 1, not {scale}")
    matrix = qr_matrix(payload)
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
