"""mmengine models, datasets and metrics that OpenMMLab does not ship for a task."""
