"""What several apps need: infrastructure errors and the one seam that enqueues tasks."""
