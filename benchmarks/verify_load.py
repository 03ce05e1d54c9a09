"""Time and peak memory of `bench backbones verify` on a full-size official-layout SimMIM Swin-L checkpoint
(random values, exact keys and shapes), measured in one run:

    .venv/bin/python benchmarks/verify_load.py

Prints wall seconds, the checkpoint size, and the peak resident memory of the verify process above that of a
process that only imports torch + timm + the registry (the ratio to the checkpoint size; target <= ~2x)."""
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def peak_rss_mb(cmd):
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(proc.stdout + proc.stderr)
    return wall, proc


def main():
    from official_layouts import save_simmim_container, swin_state

    bench = str(Path(sys.executable).with_name("bench"))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "simmim_swin_large_800ep.pth"
        save_simmim_container(swin_state(embed=192, heads=(6, 12, 24, 48), img=192, window=12), path)
        size_mb = path.stat().st_size / 2 ** 20
        code = ("import resource, torch, timm, backbones.build, backbones.swin; "
                "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
        base_kb = int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout)
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        wall, proc = peak_rss_mb([bench, "backbones", "verify", "simmim-swin-l", "--weights", str(path)])
        peak_kb = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before)
    extra_mb = (peak_kb - base_kb) / 1024
    print(proc.stdout.strip().splitlines()[-1])
    print(f"checkpoint {size_mb:.0f} MiB; verify took {wall:.1f} s; peak RSS {peak_kb / 1024:.0f} MiB, "
          f"{extra_mb:.0f} MiB above an import-only process = {extra_mb / size_mb:.2f}x the checkpoint")


if __name__ == "__main__":
    main()
