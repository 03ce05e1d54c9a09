"""Readers for datasets in their official on-disk layouts."""
