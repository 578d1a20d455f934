"""The backup cipher on its own: chunked AES-GCM with a key check, no database."""

import io
import os
import struct

import pytest

from kapcare.home.backup.crypto import CHUNK_SIZE, BackupError, DecryptingReader, EncryptingWriter

PLAIN = os.urandom(2 * CHUNK_SIZE + 12345)  # three chunks, the last one short


def _sealed() -> bytes:
    out = io.BytesIO()
    writer = EncryptingWriter(out, "k")
    for start in range(0, len(PLAIN), 70_000):  # written in pieces, as tarfile does
        writer.write(PLAIN[start : start + 70_000])
    writer.close()
    return out.getvalue()


def _chunks(data: bytes) -> tuple[bytes, list[bytes]]:
    """Split a sealed file into its preamble and its length-prefixed chunks."""
    (length,) = struct.unpack(">I", data[15:19])
    head, rest = data[: 19 + length], data[19 + length :]
    chunks = []
    while rest:
        (size,) = struct.unpack(">I", rest[:4])
        chunks.append(rest[: 4 + size])
        rest = rest[4 + size :]
    return head, chunks


def test_round_trip_over_several_chunks():
    sealed = _sealed()
    assert PLAIN[:1000] not in sealed
    assert DecryptingReader(io.BytesIO(sealed), "k").read() == PLAIN


def test_wrong_key_is_named_before_any_data():
    with pytest.raises(BackupError, match="Wrong backup key"):
        DecryptingReader(io.BytesIO(_sealed()), "other")


def test_reordered_chunks_fail():
    head, chunks = _chunks(_sealed())
    swapped = head + chunks[1] + chunks[0] + chunks[2]
    with pytest.raises(BackupError, match="tampered"):
        DecryptingReader(io.BytesIO(swapped), "k").read()


def test_a_dropped_last_chunk_fails():
    head, chunks = _chunks(_sealed())
    with pytest.raises(BackupError, match="truncated"):
        DecryptingReader(io.BytesIO(head + chunks[0] + chunks[1]), "k").read()


def test_appended_data_fails():
    with pytest.raises(BackupError, match="after its last chunk"):
        DecryptingReader(io.BytesIO(_sealed() + b"x"), "k").read()


def test_an_edited_preamble_fails():
    sealed = bytearray(_sealed())
    at = sealed.index(b'"chunk_size": ') + len(b'"chunk_size": ')
    sealed[at] = ord("9") if sealed[at] != ord("9") else ord("8")
    with pytest.raises(BackupError):
        DecryptingReader(io.BytesIO(bytes(sealed)), "k").read()
