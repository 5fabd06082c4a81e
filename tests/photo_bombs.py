"""Pictures that are small on disk and huge once decoded, built without ever holding their pixels.

An all-zero PNG compresses about 1000:1, so an 8900 x 8900 one is ~231 kB on disk and 238 MB as
RGB pixels. Writing it row by row through zlib keeps the builder's own memory at one row, so a
measurement of the decoder is not blurred by the cost of making its input.
"""

from __future__ import annotations

import struct
import zlib

_CHANNELS = {"L": (0, 1), "RGB": (2, 3), "RGBA": (6, 4)}


def zero_png(width: int, height: int, mode: str = "RGB") -> bytes:
    """A valid, complete PNG of `width` x `height` black pixels (8 bits per channel)."""
    colour_type, channels = _CHANNELS[mode]
    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + width * channels)  # filter byte "none" + zero samples
    parts = [compressor.compress(row) for _ in range(height)]
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", b"".join(parts)) + _chunk(b"IEND", b"")


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
