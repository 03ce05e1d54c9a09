"""Small learnable datasets written in the real on-disk formats (`bench data toy`)."""
