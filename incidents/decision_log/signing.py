"""The Ed25519 keys that sign decision-log checkpoints.

The private key is a PEM file (PKCS#8, unencrypted, as written by
`manage.py generate_log_signing_key` or `openssl genpkey -algorithm ed25519`)
named by LOG_SIGNING_KEY_FILE. It never enters the database or its backups:
whoever can write the database must not be able to sign. A key file that
anyone on the machine may read is refused, loudly.

Verifiers need only public keys: the current key's, plus earlier ones listed
in LOG_TRUSTED_PUBLIC_KEYS after a rotation. A key id is the start of the
SHA-256 of the raw public key; checkpoints carry it, never the key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Group or others may not write; others may not read. (0440 for a group the
# web and beat users share is fine; 0644, the default of many mounts, is not.)
_TOO_OPEN = stat.S_IRWXO | stat.S_IWGRP


class SigningKeyError(ImproperlyConfigured):
    """The configured signing key cannot be used; the message says why and where."""


def public_key_text(public_key: Ed25519PublicKey) -> str:
    """Return the raw 32-byte public key, base64: what LOG_TRUSTED_PUBLIC_KEYS lists."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def key_id_for(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


@dataclass(frozen=True)
class Signer:
    private_key: Ed25519PrivateKey
    key_id: str

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self.private_key.sign(message)).decode()

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()


def load_private_key(path: str | Path) -> Signer:
    """Read an Ed25519 private key from a PEM file; raise SigningKeyError on any problem."""
    path = Path(path)
    try:
        mode = path.stat().st_mode
        if mode & _TOO_OPEN:
            raise SigningKeyError(
                f"LOG_SIGNING_KEY_FILE {path} is mode {stat.S_IMODE(mode):04o}: others can read or "
                "write it. Make it 0600 (or 0440 for a shared group): chmod 600 " + str(path)
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise SigningKeyError(
            f"LOG_SIGNING_KEY_FILE {path} does not exist; create one with "
            "`manage.py generate_log_signing_key PATH`."
        ) from None
    except PermissionError:
        raise SigningKeyError(
            f"LOG_SIGNING_KEY_FILE {path} is not readable by this user ({os.getuid()})."
        ) from None
    except OSError as exc:
        raise SigningKeyError(f"LOG_SIGNING_KEY_FILE {path} cannot be read: {exc}") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise SigningKeyError(
            f"LOG_SIGNING_KEY_FILE {path} is not an unencrypted PEM private key: {exc}"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(
            f"LOG_SIGNING_KEY_FILE {path} holds a {type(key).__name__}, not an Ed25519 key."
        )
    return Signer(private_key=key, key_id=key_id_for(key.public_key()))


def configured_signer() -> Signer | None:
    """Return the signer of LOG_SIGNING_KEY_FILE, or None when no key is configured."""
    path = settings.LOG_SIGNING_KEY_FILE
    return load_private_key(path) if path else None


def parse_public_key(text: str) -> Ed25519PublicKey:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError):
        raise ImproperlyConfigured(
            f"LOG_TRUSTED_PUBLIC_KEYS: {text!r} is not a base64 Ed25519 public key (32 bytes)."
        ) from None


def trusted_public_keys() -> dict[str, Ed25519PublicKey]:
    """Return the public keys checkpoints may be signed with, by key id."""
    keys = [parse_public_key(text) for text in settings.LOG_TRUSTED_PUBLIC_KEYS]
    signer = configured_signer()
    if signer is not None:
        keys.append(signer.public_key)
    return {key_id_for(key): key for key in keys}


def signature_is_valid(public_key: Ed25519PublicKey, signature: str, message: bytes) -> bool:
    try:
        public_key.verify(base64.b64decode(signature, validate=True), message)
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def generate_private_key(path: str | Path) -> Signer:
    """Write a new private key to `path` (mode 0600, never overwriting) and return its signer."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # O_EXCL: an existing key is never replaced (that would orphan its checkpoints);
    # the mode is set at creation, so the key is never readable by others, even briefly.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    os.chmod(path, 0o600)  # the umask may have removed bits, never added; make it exact
    return Signer(private_key=key, key_id=key_id_for(key.public_key()))
