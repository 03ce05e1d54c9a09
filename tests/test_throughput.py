"""The throughput clock (bench.run.hooks.ThroughputHook) in mmengine's real training loop: whole iterations, the
batch fetch included, split into data and step time as mmengine's IterTimerHook splits them."""
import time

import pytest
import torch
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import Dataset

from bench.run.hooks import ThroughputHook


class _Images(Dataset):
    def __init__(self, n=24, delay=0.0):
        self.n, self.delay = n, delay

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        time.sleep(self.delay)  # a slow decoder / augmentation
        return {"inputs": torch.full((3, 8, 8), float(i % 3)), "target": torch.tensor(float(i % 2))}


class _Model(BaseModel):
    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(192, 1))

    def forward(self, inputs, target=None, mode="loss"):
        time.sleep(0.01)  # a step of known length
        return {"loss": torch.nn.functional.mse_loss(self.net(inputs).squeeze(1), target)}


def _train(tmp_path, delay, name):
    hook = ThroughputHook(warmup=2)
    runner = Runner(model=_Model(), work_dir=str(tmp_path / name), train_dataloader=dict(
        dataset=_Images(delay=delay), sampler=dict(type="DefaultSampler", shuffle=False), batch_size=4,
        num_workers=0, collate_fn=dict(type="default_collate")),
        train_cfg=dict(by_epoch=True, max_epochs=2), optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.01)),
        custom_hooks=[hook], default_hooks=dict(checkpoint=None, logger=dict(type="LoggerHook", interval=1000)))
    runner.train()
    return hook.timings()


def test_window_holds_the_data_fetch(tmp_path):
    fast = _train(tmp_path, 0.0, "fast")
    slow = _train(tmp_path, 0.02, "slow")  # 4 images x 20 ms more per batch
    assert fast["timed_iterations"] == slow["timed_iterations"] == 12 - 2  # 2 epochs x 6 batches, 2 warm-up
    assert slow["data_time_s"] >= 0.08 > fast["data_time_s"] + 0.05
    assert slow["step_time_s"] == pytest.approx(fast["step_time_s"], abs=0.03)
    assert slow["train_img_per_s"] < 0.7 * fast["train_img_per_s"]
    per_iter = 4 / slow["train_img_per_s"]  # whole iterations = fetch + step
    assert per_iter == pytest.approx(slow["data_time_s"] + slow["step_time_s"], rel=1e-3)
    assert slow["data_share"] > 0.5 > fast["data_share"]


def test_no_timed_iteration():
    assert ThroughputHook().timings()["train_img_per_s"] is None
