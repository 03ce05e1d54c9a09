# SwinTrack-T (LitingLin/SwinTrack config/SwinTrack/Tiny/config.yaml + runs.yaml): as swintrack.py (SwinTrack-B) with
# 384-d tokens, 4 encoder layers and batch 128; everything else is shared by the two official configs.
_base_ = ['./swintrack.py']
bench = dict(protocol='swintrack_tiny')
model = dict(dim=384, encoder_depth=4)
train_dataloader = dict(batch_size=128)
