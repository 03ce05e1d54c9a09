"""`bench doctor`: versions, the lock, compiled mmcv ops, CUDA, cache directories (bench.doctor)."""


def register(sub):
    """Add `bench doctor`."""
    p = sub.add_parser("doctor", help="check the installation: versions, the lock, mmcv ops, CUDA, cache dirs")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--device", default="cpu", help="run the compiled mmcv ops on this device (cuda: the GPU "
                   "kernels Mask R-CNN needs; default cpu)")
    p.set_defaults(handler=doctor_cmd)


def doctor_cmd(args) -> int:
    """Run it (the module is imported only now)."""
    from bench.doctor import main

    return main(args)
