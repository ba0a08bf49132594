"""Background work: the task queue worker and periodic jobs."""
