"""Toy tracking sequences in the GOT-10k, LaSOT and TrackingNet layouts: a textured object (its own colour pattern per
sequence) drifts, bounces and changes scale over a cluttered background; a grey occluder hides it completely for a
few frames (GOT-10k: absence 1, cover 0; LaSOT: full_occlusion 1). A tracker has to follow the appearance; the box
of the first frame is far from the object after a few frames."""
from pathlib import Path

import cv2
import numpy as np

from bench.tasks.tracking.datasets import lasot_test_names
from bench.tasks.shared.toy import textured_background, write_image

SIZE = 128


def toy_sequence(rng, n_frames: int):
    """(frames as BGR uint8, boxes xywh float, occluded bool per frame)."""
    bg = textured_background(rng, SIZE, SIZE)
    side = rng.uniform(20, 30)
    pattern = rng.integers(0, 256, (4, 4, 3)).astype(np.uint8)
    pattern[0, 0] = (0, 0, 255)  # a saturated corner makes every object stand out from the grey clutter
    pos = rng.uniform(side, SIZE - 2 * side, 2)
    vel = rng.uniform(1.5, 3.0, 2) * rng.choice([-1, 1], 2)
    growth = rng.uniform(-0.01, 0.01)
    occ_start = int(rng.integers(n_frames // 3, 2 * n_frames // 3))
    frames, boxes, occluded = [], [], []
    for t in range(n_frames):
        w = h = float(np.clip(side * (1 + growth) ** t, 12, 40))
        pos = pos + vel
        for k, limit in ((0, SIZE - w), (1, SIZE - h)):
            if pos[k] < 0 or pos[k] > limit:
                vel[k] = -vel[k]
                pos[k] = np.clip(pos[k], 0, limit)
        img = bg.copy()
        x, y = int(round(pos[0])), int(round(pos[1]))
        patch = cv2.resize(pattern, (int(round(w)), int(round(h))), interpolation=cv2.INTER_NEAREST)
        img[y:y + patch.shape[0], x:x + patch.shape[1]] = patch[:SIZE - y, :SIZE - x]
        occ = occ_start <= t < occ_start + 3
        if occ:
            cv2.rectangle(img, (x - 6, y - 6), (x + int(w) + 6, y + int(h) + 6), (128, 128, 128), -1)
        noise = rng.normal(0, 4, img.shape)
        frames.append(np.clip(img + noise, 0, 255).astype(np.uint8))
        boxes.append((x, y, round(w), round(h)))
        occluded.append(occ)
    return frames, np.array(boxes, float), np.array(occluded)


def _box_lines(boxes, fmt="{:.4f}"):
    return "".join(",".join(fmt.format(v) for v in b) + "\n" for b in boxes)


def write_got10k(out: Path, rng, n_train, n_val, n_frames=40):
    """Write toy GOT-10k train / val / test sequences (test: first box only) under `out`; return its parts."""
    for split, prefix, n in (("train", "GOT-10k_Train", n_train), ("val", "GOT-10k_Val", n_val),
                             ("test", "GOT-10k_Test", n_val)):
        names = [f"{prefix}_{i:06d}" for i in range(1, n + 1)]
        for name in names:
            frames, boxes, occ = toy_sequence(rng, n_frames)
            d = out / split / name
            for t, img in enumerate(frames, start=1):
                write_image(d / f"{t:08d}.jpg", img)
            if split == "test":  # test ground truth stays on the evaluation server: the first box only
                (d / "groundtruth.txt").write_text(_box_lines(boxes[:1]))
                continue
            (d / "groundtruth.txt").write_text(_box_lines(boxes))
            (d / "absence.label").write_text("".join(f"{int(o)}\n" for o in occ))
            (d / "cover.label").write_text("".join(f"{0 if o else 8}\n" for o in occ))
            (d / "cut_by_image.label").write_text("0\n" * n_frames)
            (d / "meta_info.ini").write_text(
                "[METAINFO]\nurl: toy\nbegin: 00:00:00\nend: 00:00:04\nanno_fps: 10Hz\nobject_class: toy patch\n"
                f"motion_class: drifting\nmajor_class: toy\nroot_class: object\nmotion_adverb: steadily\n"
                f"resolution: ({SIZE}, {SIZE})\n")
        (out / split).mkdir(parents=True, exist_ok=True)
        (out / split / "list.txt").write_text("\n".join(names) + "\n")
    return ["train/", "val/", "test/ (first boxes only)", "list.txt, groundtruth.txt, *.label, meta_info.ini"]


def write_lasot(out: Path, rng, n_train, n_val, n_frames=40):
    """Write toy LaSOT sequences: the first `n_val` official test names and `n_train` others; return a summary."""
    test_names = lasot_test_names(out)[:n_val]
    test_set = set(lasot_test_names(out))
    classes = sorted({n.rsplit("-", 1)[0] for n in test_names})
    train_names, k = [], 1
    while len(train_names) < n_train:
        for cls in classes:
            if f"{cls}-{k}" not in test_set and len(train_names) < n_train:
                train_names.append(f"{cls}-{k}")
        k += 1
    for name in train_names + test_names:
        frames, boxes, occ = toy_sequence(rng, n_frames)
        d = out / name.rsplit("-", 1)[0] / name
        for t, img in enumerate(frames, start=1):
            write_image(d / "img" / f"{t:08d}.jpg", img)
        (d / "groundtruth.txt").write_text(_box_lines(boxes, "{:.0f}"))
        (d / "full_occlusion.txt").write_text(",".join(str(int(o)) for o in occ) + "\n")
        (d / "out_of_view.txt").write_text(",".join("0" for _ in occ) + "\n")
        (d / "nlp.txt").write_text("the textured patch drifting over clutter\n")
    return [f"{len(train_names)} training and {len(test_names)} official-test sequence folders "
            "(<class>/<class>-<n>/img/, groundtruth.txt, full_occlusion.txt, out_of_view.txt)"]


def write_trackingnet(out: Path, rng, n_train, n_val, n_frames=40):
    """Write toy TrackingNet TRAIN_0 and TEST sequences (TEST: first box only) under `out`; return its parts."""
    alphabet = np.array(list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"))
    for chunk, n in (("TRAIN_0", n_train), ("TEST", n_val)):
        for i in range(n):
            name = "".join(rng.choice(alphabet, 11)) + f"_{i}"
            frames, boxes, _ = toy_sequence(rng, n_frames)
            for t, img in enumerate(frames):
                write_image(out / chunk / "frames" / name / f"{t}.jpg", img)
            (out / chunk / "anno").mkdir(parents=True, exist_ok=True)
            (out / chunk / "anno" / f"{name}.txt").write_text(_box_lines(boxes if chunk != "TEST" else boxes[:1]))
    return ["TRAIN_0/frames/<seq>/<i>.jpg", "TRAIN_0/anno/<seq>.txt", "TEST/ (first boxes only)"]


WRITERS = {"got10k": write_got10k, "lasot": write_lasot, "trackingnet": write_trackingnet}


def write_toy_tracking(out, dataset="got10k", n_train=24, n_val=6, seed=0, n_frames=40):
    """`n_train` training sequences and `n_val` evaluation sequences of `n_frames` frames each."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    return WRITERS[dataset](out, np.random.default_rng(seed), n_train, n_val, n_frames)


def _writer(benchmark):
    def write(out, n_train, n_val, seed):
        return write_toy_tracking(out, benchmark, n_train=n_train, n_val=n_val, seed=seed)

    write.__doc__ = f"`bench data toy --task tracking` in the {benchmark} layout."
    return write


write_toy_got10k, write_toy_lasot, write_toy_trackingnet = (_writer(b) for b in WRITERS)
