"""How setup.sh builds mmcv's ops (bench/mmcv_build.py): CPU or CUDA, architectures, nvcc source, cache keys, and
the one-line errors; plus the CUDA_HOME it composes over NVIDIA's PyPI compiler packages."""
import subprocess
import sys
from pathlib import Path

import pytest

import bench.mmcv_build as mb

ROOT = Path(__file__).resolve().parent.parent


def _plan(env=None, gpu=False, caps=(), nvcc=None, torch_cuda="13.0", locked="13.0", include=None):
    return mb.plan(env or {}, "3.11", "2.14.1+cu130", torch_cuda, gpu, list(caps), nvcc or {}, locked, include)


def test_cpu_build_keeps_the_existing_cache_key():
    p = _plan()
    assert p["MMCV_BUILD"] == "cpu" and p["MMCV_TAG"] == "cp311-torch2.14.1"
    assert "FORCE_CUDA=0" in p["MMCV_ENV"] and "CUDA_VISIBLE_DEVICES=" in p["MMCV_ENV"]
    forced = _plan({"TRANSFER_BENCH_MMCV_BUILD": "cpu"}, gpu=True, caps=[(9, 0)])
    assert forced["MMCV_BUILD"] == "cpu" and "forced" in forced["MMCV_REASON"]


def test_gpu_machine_builds_cuda_ops_for_its_architectures():
    nvcc = {"/usr/local/cuda-13.0/bin/nvcc": "13.0"}
    p = _plan(gpu=True, caps=[(9, 0), (8, 0), (9, 0)], nvcc=nvcc, include="/v/nvidia/cu13/include")
    assert p["MMCV_BUILD"] == "cuda" and p["MMCV_TAG"] == "cp311-torch2.14.1-cu13.0-sm80_90"
    assert "TORCH_CUDA_ARCH_LIST=8.0;9.0" in p["MMCV_ENV"] and "MMCV_CUDA_ARGS=-std=c++20" in p["MMCV_ENV"]
    assert "CUDA_HOME=/usr/local/cuda-13.0" in p["MMCV_ENV"] and "CPATH=/v/nvidia/cu13/include" in p["MMCV_ENV"]
    assert p["MMCV_NVCC"] == "system:/usr/local/cuda-13.0/bin/nvcc"
    # an nvcc of another CUDA major is not used: the locked PyPI compiler is
    p = _plan(gpu=True, caps=[(9, 0)], nvcc={"/usr/local/cuda-12.4/bin/nvcc": "12.4"})
    assert p["MMCV_NVCC"] == "pypi" and "CUDA_HOME" not in p["MMCV_ENV"]


def test_forced_cuda_without_gpu_needs_an_arch_list():
    with pytest.raises(mb.BuildError, match="set TORCH_CUDA_ARCH_LIST"):
        _plan({"TRANSFER_BENCH_MMCV_BUILD": "cuda"})
    p = _plan({"TRANSFER_BENCH_MMCV_BUILD": "cuda", "TORCH_CUDA_ARCH_LIST": "9.0+PTX"})
    assert p["MMCV_TAG"].endswith("-sm90ptx") and "forced" in p["MMCV_REASON"]


@pytest.mark.parametrize("env, kw, match", [
    ({"TRANSFER_BENCH_MMCV_BUILD": "gpu"}, {}, "use auto, cuda or cpu"),
    ({"TORCH_CUDA_ARCH_LIST": "sm90"}, {"gpu": True}, "is not like 9.0"),
    ({}, {"gpu": True, "caps": [(9, 0)], "torch_cuda": None}, "CPU-only build"),
    ({}, {"gpu": True, "caps": [(9, 0)], "locked": "12.8"}, "install a CUDA 13 toolkit"),
])
def test_bad_choices_say_the_fix(env, kw, match):
    with pytest.raises(mb.BuildError, match=match):
        _plan(env, **kw)


def test_toolkit_home_follows_a_wrapper_script(tmp_path):
    real = tmp_path / "cuda-13.0"
    (real / "bin").mkdir(parents=True)
    (real / "include").mkdir()
    (real / "include" / "cuda_runtime.h").write_text("")
    (real / "bin" / "nvcc").write_text("#!/bin/sh\necho 'Cuda compilation tools, release 13.0, V13.0.88'\n")
    (real / "bin" / "nvcc").chmod(0o755)
    wrapper = tmp_path / "bin" / "nvcc"
    wrapper.parent.mkdir()
    wrapper.write_text(f"#!/bin/sh\nexec {real}/bin/nvcc \"$@\"\n")
    wrapper.chmod(0o755)
    assert mb.toolkit_home(str(wrapper)) == real and mb.toolkit_home(str(tmp_path / "none")) is None
    assert mb.nvcc_release(str(real / "bin" / "nvcc")) == "13.0"
    assert mb.locked_toolkit() == "13.0"  # requirements-cuda-build.lock pins torch's CUDA release


def test_cuda_home_links_the_pypi_compiler(tmp_path):
    top = tmp_path / "site" / "nvidia" / "cu13"
    for sub in ("bin", "nvvm", "include", "lib"):
        (top / sub).mkdir(parents=True)
    (top / "bin" / "nvcc").write_text("")
    (top / "lib" / "libcudart.so.13").write_text("")
    home = mb.cuda_home(tmp_path / "home", tmp_path / "site")
    assert (home / "bin" / "nvcc").exists() and (home / "lib64" / "libcudart.so").resolve() == \
        (top / "lib" / "libcudart.so.13").resolve()
    with pytest.raises(mb.BuildError, match="install requirements-cuda-build.lock first"):
        mb.cuda_home(tmp_path / "h2", tmp_path / "empty")


def test_plan_command_prints_shell_assignments():
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "mmcv_build.py"), "plan"], capture_output=True,
                         text=True, env={"PATH": "/usr/bin:/bin", "CUDA_VISIBLE_DEVICES": ""})
    assert out.returncode == 0, out.stderr
    assert "MMCV_BUILD=cpu" in out.stdout and "MMCV_TAG=cp311-torch" in out.stdout
    bad = subprocess.run([sys.executable, str(ROOT / "bench" / "mmcv_build.py"), "plan"], capture_output=True,
                         text=True, env={"PATH": "/usr/bin:/bin", "TRANSFER_BENCH_MMCV_BUILD": "gpu"})
    assert bad.returncode == 2 and bad.stderr.strip() == "mmcv build: TRANSFER_BENCH_MMCV_BUILD='gpu': use auto, cuda or cpu"
