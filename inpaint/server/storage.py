"""Where the local server keeps produced and uploaded images, and their URLs.

Files live in two folders, ``generations`` (job outputs) and ``uploads``
(``base64_to_url``), under a temporary directory by default. Names carry a
random token, so a URL cannot be guessed from a job id, and are written
atomically (temporary name, then rename): a future link answers 404 until the
whole file is there, never a truncated PNG.

URLs are ``{server root}/files/{folder}/{name}``, built from the root of the
request that asked, so they work on whatever host and port the client used.
Like ModelsLab's temporary links they expire: files older than ``ttl`` seconds
are pruned as new ones arrive.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import tempfile
import threading
import time
from pathlib import Path

# The URL path the files are served under (``routes.files`` mounts it).
FILES_PATH = "/files"
GENERATIONS = "generations"
UPLOADS = "uploads"
FOLDERS = (GENERATIONS, UPLOADS)
DEFAULT_TTL = 24 * 3600.0

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,120}$")
MEDIA_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".gif": "image/gif",
    ".bmp": "image/bmp",
    ".tiff": "image/tiff",
}


class Storage:
    """A folder of served files. Thread-safe; names are never reused."""

    def __init__(
        self, root: str | os.PathLike[str] | None = None, ttl: float = DEFAULT_TTL
    ) -> None:
        self._owned = root is None
        self.root = Path(tempfile.mkdtemp(prefix="inpaint-server-")) if root is None else Path(root)
        self.ttl = ttl
        self._lock = threading.Lock()
        self._last_prune = 0.0
        for folder in FOLDERS:
            (self.root / folder).mkdir(parents=True, exist_ok=True)

    # -- names ------------------------------------------------------------
    @staticmethod
    def output_name(job_id: int, index: int, token: str) -> str:
        return f"{job_id}-{token}-{index}.png"

    @staticmethod
    def new_token() -> str:
        return secrets.token_hex(6)

    @staticmethod
    def url(root_url: str, folder: str, name: str) -> str:
        return f"{root_url.rstrip('/')}{FILES_PATH}/{folder}/{name}"

    # -- writing ----------------------------------------------------------
    def write(self, folder: str, name: str, data: bytes) -> Path:
        """Write atomically: readers see no file or the whole file."""
        path = self._path(folder, name)
        if path is None:
            raise ValueError("invalid folder or file name")
        tmp = path.with_name(f".{name}.{secrets.token_hex(4)}.part")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        self.prune()
        return path

    def save_upload(self, data: bytes, extension: str) -> str:
        name = f"{secrets.token_hex(12)}{extension}"
        self.write(UPLOADS, name, data)
        return name

    # -- reading ----------------------------------------------------------
    def find(self, folder: str, name: str) -> Path | None:
        """The file's path when it exists and has not expired, else None."""
        path = self._path(folder, name)
        if path is None or not path.is_file():
            return None
        if self.ttl and time.time() - path.stat().st_mtime > self.ttl:
            return None
        return path

    def read(self, folder: str, name: str) -> bytes | None:
        path = self.find(folder, name)
        return path.read_bytes() if path is not None else None

    @staticmethod
    def media_type(name: str) -> str:
        return MEDIA_TYPES.get(Path(name).suffix.lower(), "application/octet-stream")

    def _path(self, folder: str, name: str) -> Path | None:
        if folder not in FOLDERS or not _NAME.match(name) or ".." in name:
            return None
        return self.root / folder / name

    # -- housekeeping -----------------------------------------------------
    def prune(self, force: bool = False) -> int:
        """Delete expired files; at most once a minute unless forced."""
        now = time.time()
        with self._lock:
            if not self.ttl or (not force and now - self._last_prune < 60):
                return 0
            self._last_prune = now
        removed = 0
        for folder in FOLDERS:
            for path in (self.root / folder).iterdir():
                try:
                    if now - path.stat().st_mtime > self.ttl:
                        path.unlink()
                        removed += 1
                except FileNotFoundError:
                    continue
        return removed

    def close(self) -> None:
        """Remove the directory when this object created it (a temporary one)."""
        if self._owned:
            shutil.rmtree(self.root, ignore_errors=True)
