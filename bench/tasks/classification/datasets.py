"""Classification datasets in their official layouts, each read into a `Split` (bench.tasks.classification.split):
fine-grained (bench.tasks.classification.fgvc) and semantic (bench.tasks.classification.semantic) sets, tagged
so tables can average a group; `imagefolder` takes any train/<class>/, val/<class>/ tree."""
from functools import partial

from bench.tasks.base import register_dataset
from bench.tasks.classification import fgvc, semantic
from bench.tasks.classification.toy_fgvc import toy_writer

FINE = ("fine-grained",)
SEMANTIC = ("semantic",)


def _dataset(name, reader, description, tags, eval_split="test"):
    register_dataset("classification", name, reader, toy=toy_writer(name), description=description,
                     eval_split=eval_split, tags=tags)


_dataset("cub", fgvc.read_cub, "CUB-200-2011 birds, 200 classes", FINE)
_dataset("cars", fgvc.read_cars, "Stanford Cars, 196 classes (devkit .mat or cars_annos.mat)", FINE)
_dataset("aircraft", fgvc.read_aircraft, "FGVC-Aircraft, 100 variants", FINE)
_dataset("aircraft-family", partial(fgvc.read_aircraft, level="family"), "FGVC-Aircraft, 70 families", FINE)
_dataset("aircraft-manufacturer", partial(fgvc.read_aircraft, level="manufacturer"),
         "FGVC-Aircraft, 30 manufacturers", FINE)
_dataset("food101", semantic.read_food101, "Food-101, 101 dishes", SEMANTIC)
_dataset("cifar10", semantic.read_cifar10, "CIFAR-10 (python batches), 10 classes", SEMANTIC)
_dataset("cifar100", semantic.read_cifar100, "CIFAR-100 (python batches), 100 fine classes", SEMANTIC)
_dataset("pets", semantic.read_pets, "Oxford-IIIT Pets, 37 breeds", SEMANTIC)
_dataset("flowers102", semantic.read_flowers102, "Oxford Flowers-102; train+val / test", SEMANTIC)
_dataset("dtd", semantic.read_dtd, "Describable Textures, 47 classes; split 1 (train1+val1 / test1)", SEMANTIC)
_dataset("imagefolder", semantic.read_imagefolder, "your own data: train/<class>/*, val/<class>/*", ("custom",),
         eval_split="val")
