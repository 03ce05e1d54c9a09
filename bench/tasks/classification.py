"""Image classification transfer on mmengine: full fine-tuning (Runner, layer-decay optimizer wrapper, evaluator)
and a cached-feature linear probe, on datasets in their official layouts. Each dataset is tagged `fine-grained`
or `semantic` so tables can average a group."""
import hashlib
import json
from pathlib import Path

from backbones.errors import BenchError
from backbones.registry import get_spec
from bench.distributed import unwrap
from bench.tasks.base import DatasetInfo, Task, apply_schedule

FINE = ("fine-grained",)
SEMANTIC = ("semantic",)


class ClassificationTask(Task):
    name = "classification"
    version = "1.0"
    datasets = {
        "cub": DatasetInfo("cub", ("images.txt",), (), "CUB-200-2011 birds, 200 classes", "test", FINE),
        "cars": DatasetInfo("cars", ("devkit/cars_meta.mat",), (), "Stanford Cars, 196 classes (devkit .mat or "
                                                                   "cars_annos.mat)", "test", FINE),
        "aircraft": DatasetInfo("aircraft", ("data/images",), (), "FGVC-Aircraft, 100 variants", "test", FINE),
        "aircraft-family": DatasetInfo("aircraft-family", ("data/images",), (), "FGVC-Aircraft, 70 families",
                                       "test", FINE),
        "aircraft-manufacturer": DatasetInfo("aircraft-manufacturer", ("data/images",), (),
                                             "FGVC-Aircraft, 30 manufacturers", "test", FINE),
        "food101": DatasetInfo("food101", ("meta/classes.txt",), (), "Food-101, 101 dishes", "test", SEMANTIC),
        "cifar10": DatasetInfo("cifar10", ("batches.meta",), (), "CIFAR-10 (python batches), 10 classes", "test",
                               SEMANTIC),
        "cifar100": DatasetInfo("cifar100", ("meta",), (), "CIFAR-100 (python batches), 100 fine classes", "test",
                                SEMANTIC),
        "pets": DatasetInfo("pets", ("annotations/trainval.txt",), (), "Oxford-IIIT Pets, 37 breeds", "test",
                            SEMANTIC),
        "flowers102": DatasetInfo("flowers102", ("imagelabels.mat",), (), "Oxford Flowers-102; train+val / test",
                                  "test", SEMANTIC),
        "dtd": DatasetInfo("dtd", ("labels/train1.txt",), (), "Describable Textures, 47 classes; split 1 "
                                                              "(train1+val1 / test1)", "test", SEMANTIC),
        "imagefolder": DatasetInfo("imagefolder", ("train",), (), "your own data: train/<class>/*, val/<class>/*",
                                   "val", ("custom",)),
    }
    protocols = ("finetune", "linear", "toy")
    default_protocol = "finetune"
    primary_metric = "top1"
    higher_is_better = True
    metrics = ("top1", "top5", "mean_per_class")

    def _read(self, data_root: Path, dataset: str):
        """The parsed split (memoised: the data check, fingerprint and config all need it)."""
        memo = self.__dict__.setdefault("_memo", {})
        if (data_root, dataset) not in memo:
            memo[(data_root, dataset)] = self._read_uncached(data_root, dataset)
        return memo[(data_root, dataset)]

    def _read_uncached(self, data_root: Path, dataset: str):
        from bench.datasets.classification import READERS

        self.dataset(dataset)
        if not data_root.is_dir():
            raise BenchError(f"data root {data_root} does not exist; pass --data-root DIR, or make toy data: "
                             f"bench data toy --task classification --dataset {dataset} --out DIR")
        split = READERS[dataset](data_root)
        missing = next((p for p, _ in split.train[:1] + split.test[:1] if not split.exists(p)), None)
        if missing:
            raise BenchError(f"image {missing} listed in the annotations is missing under {data_root}")
        if not split.train or not split.test:
            raise BenchError(f"{data_root}: the {dataset} annotations list no train or no test images")
        return split

    def check_data(self, data_root, dataset):
        self._read(data_root, dataset)

    def fingerprint(self, data_root, dataset):
        split = self._read(data_root, dataset)
        ident = {"train": [(str(Path(p).relative_to(data_root)), y) for p, y in split.train],
                 "test": [(str(Path(p).relative_to(data_root)), y) for p, y in split.test],
                 "classes": split.classes}
        return hashlib.sha256(json.dumps([dataset, ident]).encode()).hexdigest()

    def build_config(self, run, data_root, work_dir):
        from mmengine.config import Config

        import bench.hooks  # noqa: F401
        import bench.models.classification  # noqa: F401
        import bench.optim  # noqa: F401

        protocol = self.protocol(run.protocol)
        cfg = Config.fromfile(self.config_path(run.dataset, protocol))
        spec = get_spec(run.backbone)
        img_size = tuple(run.img_size or cfg.bench.get("img_size") or spec.img_size)
        split = self._read(data_root, run.dataset)
        cfg.model.backbone.update(name=spec.name, weights=run.weights, img_size=img_size,
                                  drop_path_rate=cfg.bench.drop_path_rate, allow_missing=run.allow_missing)
        cfg.model.num_classes = len(split.classes)
        cfg.model.data_preprocessor.update(mean=[255 * m for m in spec.mean], std=[255 * s for s in spec.std])
        for loader in (cfg.train_dataloader, cfg.test_dataloader):
            loader.dataset.update(dataset=run.dataset, data_root=str(data_root), img_size=img_size)
        cfg.test_evaluator.outfile = str(work_dir / "predictions" / "predictions.csv")
        from bench.linear_probe import cache_key

        cfg.bench.feature_cache_key = cache_key(spec.name, run.weights_sha256, img_size,
                                                self.fingerprint(data_root, run.dataset))
        apply_schedule(cfg, run)
        return cfg

    def train(self, runner):
        if runner.cfg.bench.protocol != "linear":
            runner.train()
            return
        self._probe = self._linear_probe(runner)

    def _linear_probe(self, runner):
        from bench.linear_probe import cached_features, extract, probe
        from mmengine.registry import DATASETS

        cfg = runner.cfg
        key = cfg.bench.feature_cache_key
        model = unwrap(runner.model)

        def compute():
            train_x, train_y = extract(model.backbone, DATASETS.build(cfg.train_dataloader.dataset),
                                       model.data_preprocessor)
            test_x, test_y = extract(model.backbone, DATASETS.build(cfg.test_dataloader.dataset),
                                     model.data_preprocessor)
            return {"train_x": train_x, "train_y": train_y, "test_x": test_x, "test_y": test_y}

        feats, hit = cached_features(key, compute)
        metrics, probs, sweep = probe(feats, cfg.model.num_classes, cfg.train_cfg.max_epochs, cfg.randomness.seed)
        test_ds = DATASETS.build(cfg.test_dataloader.dataset)
        paths_ = [test_ds.get_data_info(i)["img_path"] for i in range(len(test_ds))]
        return {"metrics": metrics, "probs": probs, "labels": feats["test_y"].numpy(), "paths": paths_,
                "cache_hit": hit, "cache_key": key, **sweep}

    def evaluate(self, runner, work_dir):
        out = work_dir / "predictions" / "predictions.csv"
        if runner.cfg.bench.protocol != "linear":
            return self.test_metrics(runner), out
        from bench.models.classification import write_predictions

        result = self._probe
        write_predictions(out, result["paths"], result["labels"], result["probs"])
        metrics = dict(result["metrics"])
        self._extra = {"feature_cache_hit": result["cache_hit"], "feature_cache_key": result["cache_key"],
                      "sweep": result["sweep"], "best": result["best"]}
        return metrics, out

    def row_extra(self):
        return getattr(self, "_extra", {})

    def write_toy(self, out, dataset, n_train, n_val, seed):
        from bench.toy.classification import N_CLASSES, write_toy_classification

        return write_toy_classification(out, dataset, n_train=max(1, n_train // N_CLASSES),
                                        n_test=max(1, n_val // N_CLASSES), seed=seed)
