"""`bench backbones list | show | verify`."""
import json

from backbones import build_backbone, get_spec, list_backbones



def register(sub):
    """Add `bench backbones list | show | verify`."""
    p = sub.add_parser("backbones", help="list, show and verify registered backbones")
    bsub = p.add_subparsers(dest="backbones_command", metavar="ACTION", required=True)
    q = bsub.add_parser("list", help="list registered backbones")
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=list_cmd)
    q = bsub.add_parser("show", help="show one backbone spec")
    q.add_argument("name")
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=show_cmd)
    q = bsub.add_parser("verify", help="load a checkpoint into a backbone and print the load audit")
    q.add_argument("name")
    q.add_argument("--weights", required=True, help="checkpoint path (.pth/.pt/.bin/.safetensors) or 'auto'")
    q.add_argument("--img-size", type=int, nargs=2, metavar=("H", "W"), help="input size (default: native)")
    q.add_argument("--window", type=int, nargs="+", metavar="N",
                   help="attention window: one int or one per stage (Swin)")
    q.add_argument("--allow-missing", action="store_true",
                   help="accept backbone parameters left at random init (reported, not fatal)")
    q.add_argument("--json", action="store_true", help="print the full audit as JSON")
    q.set_defaults(handler=verify_cmd)


def list_cmd(args) -> int:
    """Print the registered backbones as a table, or their specs as JSON with --json."""
    specs = [get_spec(n) for n in list_backbones()]
    if args.json:
        print(json.dumps([s.to_dict() for s in specs], indent=2))
        return 0
    from bench._cli import print_table

    print_table(("name", "arch", "pretraining", "data", "size", "pair_with", "description"),
                [(s.name, s.arch, s.pretraining, s.pretrain_data or "-", f"{s.img_size[0]}x{s.img_size[1]}",
                  s.pair_with or "-", s.description) for s in specs])
    print("\nAlso: timm:<any timm model name> (e.g. timm:vit_small_patch16_224)")
    return 0


def show_cmd(args) -> int:
    """Print one backbone's spec as key / value lines, or as JSON with --json."""
    spec = get_spec(args.name).to_dict()
    if args.json:
        print(json.dumps(spec, indent=2))
    else:
        for key, value in spec.items():
            print(f"{key:<24} {value}")
    return 0


def verify_cmd(args) -> int:
    """Load --weights into the backbone and print its load audit; return 1 if it fails without --allow-missing."""
    window = args.window[0] if args.window and len(args.window) == 1 else args.window
    backbone = build_backbone(args.name, weights=args.weights, img_size=args.img_size, window_size=window,
                              allow_missing=True)
    audit = backbone.load_audit
    if args.json:
        print(json.dumps(audit.to_dict(), indent=2))
    else:
        s = audit.summary()
        print(f"checkpoint   {audit.checkpoint}\nsha256       {audit.checkpoint_sha256}")
        print(f"tensors      {s['n_checkpoint_tensors']} in checkpoint: {s['n_loaded']} loaded, "
              f"{s['n_dropped']} dropped, {s['n_missing']} model tensors missing")
        for transform in s["transforms"]:
            n = sum(e["transform"] == transform for e in audit.loaded)
            print(f"transform    {transform} ({n} tensors)")
        reasons = {}
        for d in audit.dropped:
            reasons[d["reason"]] = reasons.get(d["reason"], 0) + 1
        for reason, n in sorted(reasons.items()):
            print(f"dropped      {n} x {reason}")
        for problem in audit.problems():
            print(f"PROBLEM      {problem}")
        print(f"audit        {'PASS' if audit.ok else 'FAIL'}"
              + (" (accepted with --allow-missing)" if not audit.ok and args.allow_missing else ""))
    return 0 if audit.ok or args.allow_missing else 1
