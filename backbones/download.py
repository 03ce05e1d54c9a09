"""`weights="auto"`: official URL -> local cache, sha256 recorded on first download and verified on every use."""
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

from backbones.checkpoint import SUFFIXES, sha256_file
from backbones.errors import BenchError
from bench.paths import weights_cache


def cached_path(spec, url: str) -> Path:
    name = Path(urlparse(url).path).name
    if not name.endswith(SUFFIXES):
        name = f"{spec.name}.pth"
    return weights_cache() / spec.name / name


def _verify(path: Path, spec) -> Path:
    record = Path(str(path) + ".sha256")
    digest = sha256_file(path)
    expected = spec.sha256 or (record.read_text().strip() if record.exists() else None)
    if expected and digest != expected:
        raise BenchError(f"cached weights {path} have sha256 {digest} but {expected} was recorded; the file changed "
                         "or is corrupt: delete it to download again, or pass --weights PATH")
    if not record.exists():
        _write_atomic(record, digest + "\n")
    return path


def _write_atomic(path: Path, text: str):
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def _download(url: str, dest: Path, spec) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".download-")
    try:
        with urllib.request.urlopen(url, timeout=60) as resp, os.fdopen(fd, "wb") as out:
            if "text/html" in resp.headers.get("Content-Type", ""):
                raise BenchError(f"{url} returned a web page, not a checkpoint (Google Drive asks for confirmation "
                                 "on large files): download it in a browser and pass --weights PATH")
            while block := resp.read(1 << 22):
                out.write(block)
        digest = sha256_file(tmp)
        if spec.sha256 and digest != spec.sha256:
            raise BenchError(f"download of {url} has sha256 {digest}, expected {spec.sha256}; refusing it")
        os.replace(tmp, dest)
        _write_atomic(Path(str(dest) + ".sha256"), digest + "\n")
        return dest
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def fetch_weights(spec) -> Path:
    """Path of the spec's official weights in the cache, downloading them the first time."""
    if not spec.urls:
        raise BenchError(f"{spec.name} has no official download URL; pass --weights PATH")
    errors = []
    for url in spec.urls:
        dest = cached_path(spec, url)
        if dest.exists():
            return _verify(dest, spec)
        try:
            return _download(url, dest, spec)
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            errors.append(f"{url}: {getattr(exc, 'reason', exc)}")
    raise BenchError(f"could not download weights for {spec.name} ({'; '.join(errors)}); without network access, "
                     f"download them elsewhere and pass --weights PATH (cache: {weights_cache() / spec.name})")
