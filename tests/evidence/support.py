"""Evidence-pack test helpers: a handed-over incident, and rewriting a pack the way an attacker would."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

from evidence.pack import MANIFEST, SIGNATURE

Edit = bytes | Callable[[bytes], bytes] | None


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rezip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def rewrite(
    data: bytes, edits: dict[str, Edit], *, rehash: bool = False, strip_signature: bool = False
) -> bytes:
    """Return the pack with `edits` applied (None removes a file, a callable maps its bytes).

    rehash: also fix the manifest's digests and sizes, as an attacker who knows the format would.
    strip_signature: drop manifest.sig and the manifest's signing key, so the pack reads as unsigned.
    """
    files = members(data)
    for name, edit in edits.items():
        if edit is None:
            files.pop(name)
        else:
            files[name] = edit(files[name]) if callable(edit) else edit
    if rehash or strip_signature:
        manifest = json.loads(files[MANIFEST])
        if rehash:
            manifest["files"] = [
                {"path": p, "sha256": hashlib.sha256(b).hexdigest(), "bytes": len(b)}
                for p, b in files.items()
                if p not in (MANIFEST, SIGNATURE)
            ]
        if strip_signature:
            manifest["signing"] = None
            files.pop(SIGNATURE, None)
        files[MANIFEST] = json.dumps(manifest, indent=2, sort_keys=True).encode()
    return rezip(files)


def replace_text(old: str, new: str) -> Callable[[bytes], bytes]:
    def apply(content: bytes) -> bytes:
        text = content.decode()
        assert old in text, f"{old!r} is not in the file: the tamper would change nothing"
        return text.replace(old, new, 1).encode()

    return apply


def save(tmp_path: Path, data: bytes, name: str = "pack.zip") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path
