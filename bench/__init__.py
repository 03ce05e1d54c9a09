"""transfer-bench: how well does this pretrained backbone transfer?"""
__version__ = "0.1.0"
