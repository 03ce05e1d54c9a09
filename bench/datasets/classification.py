"""Classification readers by dataset name (fine-grained: bench.datasets.fgvc; semantic: bench.datasets.semantic)."""
from bench.datasets import fgvc, semantic

READERS = {
    "cub": fgvc.read_cub,
    "cars": fgvc.read_cars,
    "aircraft": fgvc.read_aircraft,
    "aircraft-family": lambda root: fgvc.read_aircraft(root, "family"),
    "aircraft-manufacturer": lambda root: fgvc.read_aircraft(root, "manufacturer"),
    "food101": semantic.read_food101,
    "cifar10": semantic.read_cifar10,
    "cifar100": semantic.read_cifar100,
    "pets": semantic.read_pets,
    "flowers102": semantic.read_flowers102,
    "dtd": semantic.read_dtd,
    "imagefolder": semantic.read_imagefolder,
}
