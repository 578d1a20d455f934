"""The backup file's encryption: AES-256-GCM over fixed-size chunks, keyed by scrypt.

Layout of a backup file:

    MAGIC | 4-byte length | preamble (JSON, plaintext) | chunk*

The preamble holds only what decryption needs (format version, scrypt salt and cost, nonce
prefix, a key check); everything else, the manifest included, is inside the encrypted stream.
Each chunk is `4-byte length | AES-GCM(ciphertext + tag)`. Its nonce is the random prefix, the
chunk's counter and a last-chunk flag, and the preamble is every chunk's associated data, so
reordering, dropping, truncating or appending chunks, or editing the preamble, fails
authentication (the STREAM construction of Hoang, Reyhanitabar, Rogaway and Vizár).

The key check is an HMAC under a second key derived alongside the cipher key: a wrong key is
told apart from a damaged file before any chunk is read.
"""

import base64
import hashlib
import hmac
import io
import json
import os
import struct
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

MAGIC = b"KAPCARE-BACKUP\n"
FORMAT_VERSION = 1
CHUNK_SIZE = 1024 * 1024
# scrypt cost: about 0.1 s and 32 MiB per backup or restore, once per file.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
_LENGTH = struct.Struct(">I")
_KEY_CHECK_LABEL = b"kapcare backup key check"
# Largest chunk we accept when reading: a length field above it means a damaged file, and
# refusing it keeps a corrupt length from asking for gigabytes of memory.
_MAX_SEALED_CHUNK = CHUNK_SIZE + 16


class BackupError(Exception):
    """A backup cannot be written or read; the message says why, for the operator."""


def _derive(passphrase: str, salt: bytes, n: int, r: int, p: int) -> tuple[bytes, bytes]:
    material = Scrypt(salt=salt, length=64, n=n, r=r, p=p).derive(passphrase.encode())
    return material[:32], material[32:]


def _key_check(check_key: bytes, salt: bytes) -> str:
    return hmac.new(check_key, _KEY_CHECK_LABEL + salt, hashlib.sha256).hexdigest()


def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    if counter >= 2**32:
        raise BackupError("The backup is too large for one file (over 4 PiB).")
    return prefix + struct.pack(">I", counter) + (b"\x01" if last else b"\x00")


class EncryptingWriter(io.RawIOBase):
    """A write-only file object: what is written is sealed chunk by chunk into `out`.

    `close()` seals the last chunk (possibly empty) with the last-chunk flag; a file whose
    writer was not closed is incomplete and will not decrypt.
    """

    def __init__(self, out: BinaryIO, passphrase: str):
        super().__init__()
        self._out = out
        salt = os.urandom(16)
        key, check_key = _derive(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
        self._prefix = os.urandom(7)
        preamble = {
            "format_version": FORMAT_VERSION,
            "cipher": "AES-256-GCM/STREAM",
            "chunk_size": CHUNK_SIZE,
            "kdf": {"name": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P},
            "salt": base64.b64encode(salt).decode(),
            "nonce_prefix": base64.b64encode(self._prefix).decode(),
            "key_check": _key_check(check_key, salt),
        }
        self._aad = json.dumps(preamble, sort_keys=True).encode()
        out.write(MAGIC + _LENGTH.pack(len(self._aad)) + self._aad)
        self._aead = AESGCM(key)
        self._buffer = bytearray()
        self._counter = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # type: ignore[override]
        self._buffer += data
        while len(self._buffer) > CHUNK_SIZE:
            self._seal(bytes(self._buffer[:CHUNK_SIZE]), last=False)
            del self._buffer[:CHUNK_SIZE]
        return len(data)

    def _seal(self, plain: bytes, *, last: bool) -> None:
        sealed = self._aead.encrypt(_nonce(self._prefix, self._counter, last), plain, self._aad)
        self._out.write(_LENGTH.pack(len(sealed)) + sealed)
        self._counter += 1

    def close(self) -> None:
        if not self.closed:
            self._seal(bytes(self._buffer), last=True)
            self._buffer.clear()
            self._out.flush()
        super().close()


def _read_exactly(source: BinaryIO, size: int) -> bytes:
    data = source.read(size)
    if len(data) != size:
        raise BackupError("The backup file is truncated: it ends in the middle of a chunk.")
    return data


class DecryptingReader(io.RawIOBase):
    """A read-only file object over a backup file's plaintext.

    Raises BackupError on a wrong key (before any data is returned), on any tampered or
    reordered chunk, and at the end of a file whose last chunk is missing.
    """

    def __init__(self, source: BinaryIO, passphrase: str):
        super().__init__()
        self._source = source
        if source.read(len(MAGIC)) != MAGIC:
            raise BackupError("This is not a kapcare backup file (its first bytes are wrong).")
        (length,) = _LENGTH.unpack(_read_exactly(source, _LENGTH.size))
        if length > 4096:
            raise BackupError("The backup file's preamble is damaged.")
        self._aad = _read_exactly(source, length)
        try:
            preamble = json.loads(self._aad)
            salt = base64.b64decode(preamble["salt"])
            self._prefix = base64.b64decode(preamble["nonce_prefix"])
            kdf = preamble["kdf"]
            version = preamble["format_version"]
            expected_check = preamble["key_check"]
        except (ValueError, KeyError, TypeError) as exc:
            raise BackupError("The backup file's preamble is damaged.") from exc
        if version != FORMAT_VERSION:
            raise BackupError(
                f"This backup has format version {version}; this kapcare reads version "
                f"{FORMAT_VERSION}."
            )
        if kdf.get("name") != "scrypt" or kdf.get("n", 0) > 2**20 or len(self._prefix) != 7:
            raise BackupError("The backup file's preamble is damaged.")
        key, check_key = _derive(passphrase, salt, kdf["n"], kdf["r"], kdf["p"])
        if not hmac.compare_digest(_key_check(check_key, salt), str(expected_check)):
            raise BackupError(
                "Wrong backup key: KAPCARE_BACKUP_KEY is not the key this backup was made with."
            )
        self._aead = AESGCM(key)
        self._counter = 0
        self._pending = b""
        self._position = 0
        self._finished = False

    def readable(self) -> bool:
        return True

    def _next_chunk(self) -> None:
        header = self._source.read(_LENGTH.size)
        if not header:
            raise BackupError("The backup file is truncated: its last chunk is missing.")
        if len(header) != _LENGTH.size:
            raise BackupError("The backup file is truncated: it ends in the middle of a chunk.")
        (length,) = _LENGTH.unpack(header)
        if length > _MAX_SEALED_CHUNK:
            raise BackupError(
                "The backup file is damaged or was tampered with: a chunk has an impossible length."
            )
        sealed = _read_exactly(self._source, length)
        for last in (False, True):
            try:
                plain = self._aead.decrypt(
                    _nonce(self._prefix, self._counter, last), sealed, self._aad
                )
            except InvalidTag:
                continue
            self._counter += 1
            self._pending, self._position = plain, 0
            if last:
                self._finished = True
                if self._source.read(1):
                    raise BackupError("The backup file has data after its last chunk.")
            return
        raise BackupError(
            f"The backup file is damaged or was tampered with: chunk {self._counter} does not "
            "authenticate. Nothing has been restored from it."
        )

    def readinto(self, buffer) -> int:  # type: ignore[override]
        while self._position == len(self._pending) and not self._finished:
            self._next_chunk()
        size = min(len(buffer), len(self._pending) - self._position)
        buffer[:size] = self._pending[self._position : self._position + size]
        self._position += size
        return size
