"""Fine-grained classification readers in the official layouts: CUB-200-2011, FGVC-Aircraft (variant / family /
manufacturer), Stanford Cars (devkit `cars_{train,test}_annos*.mat` or the all-in-one `cars_annos.mat`).
Each returns a `Split`; a missing file raises BenchError naming it."""
from pathlib import Path

from backbones.core.errors import BenchError
from bench.tasks.classification.split import Split, need, table


def read_cub(root: Path) -> Split:
    """Read CUB-200-2011's official train / test split from `root` (labels 0-based)."""
    images = table(need(root, "images.txt"))
    labels = table(need(root, "image_class_labels.txt"))
    split = table(need(root, "train_test_split.txt"))
    classes = table(need(root, "classes.txt"))
    need(root, "bounding_boxes.txt")
    need(root, "images")
    names = [classes[k] for k in sorted(classes, key=int)]
    train, test = [], []
    for image_id, rel in sorted(images.items(), key=lambda kv: int(kv[0])):
        try:
            item = (str(root / "images" / rel), int(labels[image_id]) - 1)
            (train if split[image_id] == "1" else test).append(item)
        except KeyError as exc:
            raise BenchError(f"{root}: image id {exc} has no label or split entry") from None
    return Split(train, test, names)


def read_aircraft(root: Path, level: str = "variant") -> Split:
    """Read FGVC-Aircraft's trainval / test split with `level` labels (variant, family or manufacturer)."""
    data = root / "data"
    names_file = {"variant": "variants.txt", "family": "families.txt", "manufacturer": "manufacturers.txt"}[level]
    names = [n.strip() for n in need(root, f"data/{names_file}").read_text().splitlines() if n.strip()]
    index = {n: i for i, n in enumerate(names)}
    need(root, "data/images")

    def part(split):
        items = []
        for line in need(root, f"data/images_{level}_{split}.txt").read_text().splitlines():
            if line.strip():
                image_id, _, name = line.strip().partition(" ")
                if name not in index:
                    raise BenchError(f"{data}/images_{level}_{split}.txt names {name!r}, not in {names_file}")
                items.append((str(data / "images" / f"{image_id}.jpg"), index[name]))
        return items

    return Split(part("trainval"), part("test"), names)


def _mat_records(path: Path):
    from scipy.io import loadmat

    ann = loadmat(str(path), squeeze_me=True, struct_as_record=False)["annotations"]
    return list(ann) if hasattr(ann, "__len__") else [ann]


def read_cars(root: Path) -> Split:
    """Read Stanford Cars from cars_annos.mat if `root` has it, else from the devkit and test annotations."""
    from scipy.io import loadmat

    if (root / "cars_annos.mat").exists():  # all-in-one: relative_im_path, bbox_*, class, test
        mat = loadmat(str(root / "cars_annos.mat"), squeeze_me=True, struct_as_record=False)
        names = [str(n) for n in mat["class_names"]]
        train, test = [], []
        for rec in _mat_records(root / "cars_annos.mat"):
            (test if int(rec.test) else train).append((str(root / rec.relative_im_path), int(rec.__dict__["class"]) - 1))
        return Split(train, test, names)
    meta = loadmat(str(need(root, "devkit/cars_meta.mat")), squeeze_me=True)
    names = [str(n) for n in meta["class_names"]]
    train = [(str(root / "cars_train" / r.fname), int(r.__dict__["class"]) - 1)
             for r in _mat_records(need(root, "devkit/cars_train_annos.mat"))]
    need(root, "cars_train")
    test_mat = root / "cars_test_annos_withlabels.mat"
    if not test_mat.exists():
        test_mat = need(root, "devkit/cars_test_annos_withlabels.mat")
    need(root, "cars_test")
    test = [(str(root / "cars_test" / r.fname), int(r.__dict__["class"]) - 1) for r in _mat_records(test_mat)]
    return Split(train, test, names)

