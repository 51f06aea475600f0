"""What crosses the page's edge: URL state, file exports, the numpy-only script, reading a checkpoint."""
