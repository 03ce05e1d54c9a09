"""How ./setup.sh builds mmcv 2.1.0's compiled ops on this machine: for the CPU, or with CUDA kernels for the local
GPUs, and under which wheel-cache key. Run by setup.sh before the package is installed (standard library + torch):

    .venv/bin/python bench/mmcv_build.py plan          # shell assignments, for eval
    .venv/bin/python bench/mmcv_build.py cuda-home DIR  # a CUDA_HOME over the PyPI compiler packages in this venv

mmcv's setup.py (open-mmlab/mmcv v2.1.0 setup.py, get_extensions) compiles CUDA ops when
`torch.cuda.is_available()` or FORCE_CUDA=1, through torch's CUDAExtension: that needs nvcc of torch's CUDA major
version (torch.utils.cpp_extension checks it) and builds for TORCH_CUDA_ARCH_LIST. The choice:

- TRANSFER_BENCH_MMCV_BUILD=auto (default): CUDA when torch sees a GPU, else CPU (today's build);
  =cuda forces the CUDA build (e.g. ahead of time on a machine without a GPU: then TORCH_CUDA_ARCH_LIST is needed);
  =cpu forces the CPU build on a GPU machine (the GPUs are hidden from mmcv's setup).
- Architectures: TORCH_CUDA_ARCH_LIST if set, else the compute capabilities of the visible GPUs.
- nvcc: the system toolkit ($CUDA_HOME, `nvcc` on PATH, /usr/local/cuda) when its major version is torch's, else
  NVIDIA's compiler packages from PyPI pinned in requirements-cuda-build.lock (the same CUDA release as torch's).
- Cache key: cp<py>-torch<version> for the CPU build (unchanged), + -cu<CUDA>-sm<archs> for a CUDA build."""
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence

MODES = ("auto", "cuda", "cpu")
LOCK = Path(__file__).resolve().parent.parent / "requirements-cuda-build.lock"


class BuildError(Exception):
    """A build choice that cannot work; the message names the fix."""


def arch_list(env: Dict[str, str], capabilities: Sequence[Sequence[int]]) -> List[str]:
    """The CUDA architectures to compile for: TORCH_CUDA_ARCH_LIST (';' or ' ' separated) or the GPUs' own."""
    given = env.get("TORCH_CUDA_ARCH_LIST", "").replace(";", " ").split()
    if given:
        for arch in given:
            if not re.fullmatch(r"\d+\.\d+(\+PTX)?", arch):
                raise BuildError(f"TORCH_CUDA_ARCH_LIST entry {arch!r} is not like 9.0 or 8.6+PTX; fix the variable")
        return given
    return sorted({f"{major}.{minor}" for major, minor in capabilities}, key=lambda a: tuple(map(int, a.split("."))))


def nvcc_release(nvcc: str) -> Optional[str]:
    """The release (e.g. '13.0') printed by `nvcc --version`, or None when it does not run."""
    try:
        out = subprocess.run([nvcc, "--version"], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r"release (\d+\.\d+)", out)
    return found.group(1) if found else None


def system_nvcc(env: Dict[str, str]) -> List[str]:
    """Candidate system nvcc binaries, in torch's order: $CUDA_HOME / $CUDA_PATH, PATH, /usr/local/cuda."""
    out = [str(Path(env[k]) / "bin" / "nvcc") for k in ("CUDA_HOME", "CUDA_PATH") if env.get(k)]
    for folder in env.get("PATH", "").split(os.pathsep):
        if folder:
            out.append(str(Path(folder) / "nvcc"))
    return out + ["/usr/local/cuda/bin/nvcc"]


def toolkit_home(nvcc: str) -> Optional[Path]:
    """The toolkit folder of an nvcc binary (its bin/'s parent, with include/cuda_runtime.h), or None. A wrapper
    script (e.g. /usr/local/bin/nvcc running /usr/local/cuda-13.0/bin/nvcc) is followed to the binary it runs."""
    path = Path(nvcc)
    if not (path.is_file() and os.access(path, os.X_OK)):
        return None
    home = path.resolve().parent.parent
    if (home / "include" / "cuda_runtime.h").exists():
        return home
    try:
        head = path.read_bytes()[:4096].decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    found = re.search(r"(/\S+/bin/nvcc)\b", head)
    return toolkit_home(found.group(1)) if found and found.group(1) != str(path) else None


def locked_toolkit(lock: Path = LOCK) -> Optional[str]:
    """The CUDA release ('13.0') of the compiler packages pinned in requirements-cuda-build.lock."""
    if not lock.exists():
        return None
    found = re.search(r"^nvidia-cuda-nvcc==(\d+\.\d+)\.", lock.read_text(), re.M)
    return found.group(1) if found else None


def plan(env: Dict[str, str], python: str, torch_version: str, torch_cuda: Optional[str], gpu_available: bool,
         capabilities: Sequence[Sequence[int]], nvcc_releases: Dict[str, Optional[str]],
         locked: Optional[str], torch_cuda_include: Optional[str] = None) -> Dict[str, str]:
    """The build to make (pure: every fact about the machine is an argument). `torch_cuda_include`: the headers of
    the CUDA libraries torch's wheel brings (nvidia/cu<major>/include: cusparse.h, cublas_v2.h, ... which torch's
    own headers include and a minimal system toolkit may lack); put on CPATH for a system nvcc.

    Returns MMCV_BUILD (cuda|cpu), MMCV_TAG (the wheel-cache key), MMCV_ENV (variables for mmcv's build),
    MMCV_NVCC (system:<path>|pypi|none) and MMCV_REASON (one line saying why)."""
    mode = env.get("TRANSFER_BENCH_MMCV_BUILD", "auto") or "auto"
    if mode not in MODES:
        raise BuildError(f"TRANSFER_BENCH_MMCV_BUILD={mode!r}: use auto, cuda or cpu")
    base = f"cp{python.replace('.', '')}-torch{torch_version.split('+')[0]}"
    cuda = gpu_available if mode == "auto" else mode == "cuda"
    if not cuda:
        why = ("forced by TRANSFER_BENCH_MMCV_BUILD=cpu" if mode == "cpu" else
               "torch sees no GPU (set TRANSFER_BENCH_MMCV_BUILD=cuda to build CUDA ops anyway)")
        # CUDA_VISIBLE_DEVICES hides any GPU from mmcv's own torch.cuda.is_available() check
        return {"MMCV_BUILD": "cpu", "MMCV_TAG": base, "MMCV_ENV": "MMCV_WITH_OPS=1 FORCE_CUDA=0 CUDA_VISIBLE_DEVICES=",
                "MMCV_NVCC": "none", "MMCV_REASON": f"CPU ops: {why}"}
    if not torch_cuda:
        raise BuildError("this torch is a CPU-only build, so mmcv cannot get CUDA ops: install the lock's CUDA torch "
                         "or set TRANSFER_BENCH_MMCV_BUILD=cpu")
    archs = arch_list(env, capabilities)
    if not archs:
        raise BuildError("no GPU is visible to pick CUDA architectures for: set TORCH_CUDA_ARCH_LIST (e.g. 9.0 for "
                         "H100/H200, 8.0 for A100, '8.0;9.0' for both)")
    major = torch_cuda.split(".")[0]
    nvcc = next((path for path, release in nvcc_releases.items() if release and release.split(".")[0] == major),
                None)
    if nvcc:
        source = f"system:{nvcc}"
    elif locked and locked.split(".")[0] == major:
        source = "pypi"
    else:
        seen = ", ".join(f"{p} ({r})" for p, r in nvcc_releases.items() if r) or "none"
        raise BuildError(f"no nvcc of CUDA {major}.x for torch's CUDA {torch_cuda} (found: {seen}), and "
                         f"requirements-cuda-build.lock pins CUDA {locked}: install a CUDA {major} toolkit or update "
                         "requirements-cuda-build.in and run `make lock`")
    tag = f"{base}-cu{torch_cuda}-sm{'_'.join(a.replace('.', '').replace('+PTX', 'ptx') for a in archs)}"
    flags = ["MMCV_WITH_OPS=1", "FORCE_CUDA=1", f"TORCH_CUDA_ARCH_LIST={';'.join(archs)}",
             "MMCV_CUDA_ARGS=-std=c++20"]  # torch 2.14's headers need C++20 in nvcc too (the cxx patch's twin)
    if nvcc:
        flags.append(f"CUDA_HOME={Path(nvcc).resolve().parent.parent}")
        if torch_cuda_include:
            flags.append(f"CPATH={os.pathsep.join(p for p in (torch_cuda_include, env.get('CPATH')) if p)}")
    why = "forced by TRANSFER_BENCH_MMCV_BUILD=cuda" if mode == "cuda" else "torch sees a GPU"
    return {"MMCV_BUILD": "cuda", "MMCV_TAG": tag, "MMCV_ENV": " ".join(flags), "MMCV_NVCC": source,
            "MMCV_REASON": f"CUDA ops for sm {', '.join(archs)} with CUDA {torch_cuda} ({why}; nvcc: {source})"}


def machine_plan(env: Dict[str, str]) -> Dict[str, str]:
    """`plan` with this machine's facts (torch imported here)."""
    import torch

    gpu = torch.cuda.is_available()
    caps = [torch.cuda.get_device_capability(i) for i in range(torch.cuda.device_count())] if gpu else []
    releases = {}
    for nvcc in system_nvcc(env):
        home = toolkit_home(nvcc)
        if home:
            releases.setdefault(str(home / "bin" / "nvcc"), nvcc_release(str(home / "bin" / "nvcc")))
    major = (torch.version.cuda or "").split(".")[0]
    include = Path(torch.__file__).resolve().parent.parent / "nvidia" / f"cu{major}" / "include"
    return plan(env, "%d.%d" % sys.version_info[:2], torch.__version__, torch.version.cuda, gpu, caps, releases,
                locked_toolkit(), str(include) if major and include.is_dir() else None)


def cuda_home(out: Path, site_packages: Path) -> Path:
    """A CUDA_HOME for torch's CUDAExtension over NVIDIA's PyPI packages (nvidia/cu<major>/: bin/nvcc, nvvm,
    include, lib): links to their folders, plus lib64/ with the unversioned libcudart.so the linker asks for."""
    tops = sorted(site_packages.glob("nvidia/cu*/bin/nvcc"))
    if not tops:
        raise BuildError(f"no nvidia/cu*/bin/nvcc under {site_packages}: install requirements-cuda-build.lock first")
    top = tops[-1].parent.parent
    out.mkdir(parents=True, exist_ok=True)
    for name in ("bin", "nvvm", "include"):
        link = out / name
        if not link.exists():
            link.symlink_to(top / name)
    lib64 = out / "lib64"
    lib64.mkdir(exist_ok=True)
    for lib in (top / "lib").iterdir():
        if not (lib64 / lib.name).exists():
            (lib64 / lib.name).symlink_to(lib)
        unversioned = re.sub(r"\.so\.\d+$", ".so", lib.name)
        if unversioned != lib.name and not (lib64 / unversioned).exists():
            (lib64 / unversioned).symlink_to(lib)
    return out


def main(argv: Sequence[str]) -> int:
    """`plan` prints shell assignments; `cuda-home DIR` makes DIR and prints it."""
    try:
        if argv[:1] == ["plan"]:
            for key, value in machine_plan(dict(os.environ)).items():
                print(f"{key}={shlex.quote(value)}")
            return 0
        if argv[:1] == ["cuda-home"] and len(argv) == 2:
            import sysconfig

            print(cuda_home(Path(argv[1]), Path(sysconfig.get_paths()["purelib"])))
            return 0
    except BuildError as exc:
        print(f"mmcv build: {exc}", file=sys.stderr)
        return 2
    print("usage: mmcv_build.py plan | cuda-home DIR", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
