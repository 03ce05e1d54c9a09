"""The environment as `requirements.lock` pins it: what it pins, its sha256 (recorded in every result row), and how
the installed packages differ from it (`bench doctor`)."""
import hashlib
import re
from pathlib import Path
from typing import Dict, List, Optional

from backbones.core.paths import REPO_ROOT

LOCK_PATH = REPO_ROOT / "requirements.lock"
# installed beside the lock on purpose: pip (the venv's own), mmcv (setup.sh builds it from its pinned sdist), and
# this project (editable)
BUILT_HERE = {"pip": None, "mmcv": "2.1.0", "transfer-bench": None}
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def normalise(name: str) -> str:
    """PEP 503 name: lower case, runs of `-_.` as one `-`."""
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_versions(path: Path = LOCK_PATH) -> Dict[str, str]:
    """{normalised name: version} of every `name==version` requirement in a pip-compile / uv lock file."""
    out = {}
    for line in Path(path).read_text().splitlines():
        m = _PIN.match(line)
        if m:
            out[normalise(m.group(1))] = m.group(2)
    return out


def lock_sha256(path: Path = LOCK_PATH) -> Optional[str]:
    """sha256 of the lock file's bytes (None where the checkout has none)."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def installed_versions() -> Dict[str, str]:
    """{normalised name: version} of the distributions installed in this interpreter's environment (its
    site-packages; folders a program adds to sys.path are not part of the environment)."""
    import sysconfig
    from importlib.metadata import distributions

    paths = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
    return {normalise(d.metadata["Name"]): d.version for d in distributions(path=paths) if d.metadata["Name"]}


def drift(path: Path = LOCK_PATH, installed: Optional[Dict[str, str]] = None) -> List[str]:
    """One line per difference between the installed packages and the lock (empty: they agree)."""
    if not Path(path).is_file():
        return [f"{path} is missing: run bench from a transfer-bench checkout set up by ./setup.sh"]
    locked = locked_versions(path)
    installed = installed_versions() if installed is None else installed
    problems = []
    for name, version in sorted(locked.items()):
        have = installed.get(name)
        if have is None:
            problems.append(f"{name} is not installed; the lock pins {version}: run ./setup.sh")
        elif have != version:
            problems.append(f"{name} {have} is installed; the lock pins {version}: run ./setup.sh (or `make lock` "
                            "to change the lock on purpose)")
    for name, have in sorted(installed.items()):
        if name in locked:
            continue
        if name not in BUILT_HERE:
            problems.append(f"{name} {have} is installed but not in the lock: remove it, or add it to "
                            "requirements.in and run `make lock`")
        elif BUILT_HERE[name] and have != BUILT_HERE[name]:
            problems.append(f"{name} {have} is installed; setup.sh builds {BUILT_HERE[name]}: run ./setup.sh")
    return problems
