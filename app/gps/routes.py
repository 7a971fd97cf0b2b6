"""Routes: The GP's own pages: availability windows, proposals and offers, why not."""
