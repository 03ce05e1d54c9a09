import os

import pytest

# Nothing in the tests may reach the network or the user's caches.
os.environ.setdefault("TRANSFER_BENCH_HOME", "/tmp/transfer-bench-test-home")

# `make test` runs two pytest-xdist workers on the 2 cores: one thread each (and in every child they start), so the
# workers do not fight over the cores; a plain `pytest` run keeps torch's default threads.
if os.environ.get("PYTEST_XDIST_WORKER"):
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = os.environ.get("TRANSFER_BENCH_TEST_THREADS", "1")
    import torch

    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    monkeypatch.setenv("TRANSFER_BENCH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("TRANSFER_BENCH_WEIGHTS", raising=False)
    monkeypatch.delenv("TRANSFER_BENCH_RESULTS", raising=False)


@pytest.fixture(scope="session")
def toy_pose(tmp_path_factory):
    """COCO-layout toy pose data, made once per test run (disjoint train / val images)."""
    from bench.tasks.pose.toy import write_toy_pose

    return write_toy_pose(tmp_path_factory.mktemp("toy_pose") / "coco", "coco", n_train=160, n_val=40, seed=0)


@pytest.fixture(scope="session")
def toy_pose_small(tmp_path_factory):
    from bench.tasks.pose.toy import write_toy_pose

    return write_toy_pose(tmp_path_factory.mktemp("toy_pose_small") / "coco", "coco", n_train=4, n_val=4, seed=1)


@pytest.fixture(scope="session")
def toy_cub(tmp_path_factory):
    """CUB-layout toy set (40 train / 10 test images per class), made once per test run."""
    from bench.tasks.classification.toy_fgvc import write_toy_classification

    root = tmp_path_factory.mktemp("toy_cub") / "CUB_200_2011"
    write_toy_classification(root, "cub", n_train=40, n_test=10, seed=0)
    return root


@pytest.fixture(scope="session")
def toy_got10k(tmp_path_factory):
    """GOT-10k-layout toy sequences (24 train, 6 val, 40 frames), made once per test run."""
    from bench.tasks.tracking.toy import write_toy_tracking

    root = tmp_path_factory.mktemp("trk") / "GOT-10k"
    write_toy_tracking(root, "got10k", n_train=24, n_val=6, seed=0, n_frames=40)
    return root

