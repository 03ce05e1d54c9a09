"""System packages for tests that need a program outside the venv (a browser, a scheduler): installed from Debian's
packages by the test setup when they are missing and this machine can (Debian, root, apt-get), else reported so the
test can skip with the reason. One place for it: `ok, reason = ensure_debian_packages(["chromium"])`."""
import fcntl
import os
import shutil
import subprocess
from pathlib import Path
from typing import List, Sequence, Tuple

LOCK = Path("/tmp/transfer-bench-apt.lock")  # one apt-get at a time across test processes
TIMEOUT_S = 900
OPT_OUT = "TRANSFER_BENCH_NO_APT"  # set to skip installing (the tests needing the packages then skip)


def missing_debian_packages(packages: Sequence[str]) -> List[str]:
    """The packages of `packages` that dpkg does not list as installed (all of them where there is no dpkg)."""
    if shutil.which("dpkg-query") is None:
        return list(packages)
    missing = []
    for name in packages:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Status}", name], capture_output=True, text=True)
        if out.returncode != 0 or "install ok installed" not in out.stdout:
            missing.append(name)
    return missing


def _apt(args, env) -> subprocess.CompletedProcess:
    return subprocess.run(["apt-get", *args], capture_output=True, text=True, env=env, timeout=TIMEOUT_S,
                          stdin=subprocess.DEVNULL)


def _why_not(missing: List[str]):
    """Why this machine cannot install `missing` (None where it can)."""
    names = " ".join(missing)
    if shutil.which("apt-get") is None or shutil.which("dpkg-query") is None:
        return f"{names} not installed, and this is not a Debian system with apt-get"
    if os.geteuid() != 0:
        return f"{names} not installed, and installing needs root: sudo apt-get install -y {names}"
    if os.environ.get(OPT_OUT):
        return f"{names} not installed, and {OPT_OUT} is set (no installs): apt-get install -y {names}"
    return None


def ensure_debian_packages(packages: Sequence[str]) -> Tuple[bool, str]:
    """Make sure Debian `packages` are installed, installing the missing ones with apt-get (running `apt-get update`
    first if the package lists are stale). Returns (ok, reason): reason says what was done or why it failed."""
    missing = missing_debian_packages(packages)
    if not missing:
        return True, f"{' '.join(packages)} already installed"
    why = _why_not(missing)
    if why:
        return False, why
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["install", "-y", "--no-install-recommends"]
    with open(LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        missing = missing_debian_packages(missing)  # another process may have installed them meanwhile
        if not missing:
            return True, f"{' '.join(packages)} installed by another process"
        try:
            out = _apt(install + missing, env)
            if out.returncode != 0:  # stale or empty package lists: update once, then try again
                _apt(["update"], env)
                out = _apt(install + missing, env)
        except subprocess.TimeoutExpired:
            return False, f"apt-get install {' '.join(missing)} took over {TIMEOUT_S} s"
    if out.returncode != 0:
        tail = (out.stderr or out.stdout).strip().splitlines()[-1:] or ["no output"]
        return False, f"apt-get install {' '.join(missing)} failed: {tail[0]}"
    still = missing_debian_packages(missing)
    if still:
        return False, f"apt-get ran but {' '.join(still)} is still not installed"
    return True, f"installed {' '.join(missing)} from Debian's packages"
