"""`weights="auto"`: official URL -> local cache, sha256 recorded on first download and verified on every use."""
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

from backbones.checkpoint import SUFFIXES
from backbones.core.io import atomic_path, sha256_file, write_text
from backbones.core.errors import BenchError
from backbones.core.paths import weights_cache


def cached_path(spec, url: str) -> Path:
    """Where `url`'s file is cached: <weights cache>/<spec name>/<file name> (`<spec name>.pth` if no known suffix)."""
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
        write_text(record, digest + "\n")
    return path


def _download(url: str, dest: Path, spec) -> Path:
    with atomic_path(dest, suffix=".download") as tmp:
        with urllib.request.urlopen(url, timeout=60) as resp, open(tmp, "wb") as out:
            if "text/html" in resp.headers.get("Content-Type", ""):
                raise BenchError(f"{url} returned a web page, not a checkpoint (Google Drive asks for confirmation "
                                 "on large files): download it in a browser and pass --weights PATH")
            while block := resp.read(1 << 22):
                out.write(block)
        digest = sha256_file(tmp)
        if spec.sha256 and digest != spec.sha256:
            raise BenchError(f"download of {url} has sha256 {digest}, expected {spec.sha256}; refusing it")
    write_text(Path(str(dest) + ".sha256"), digest + "\n")
    return dest


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
