"""One module per model family; each defines FAMILY (found by tweetgeo.models.registry)."""
