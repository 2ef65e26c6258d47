"""tweetgeo: reproducible tweet geolocation and disaster-tweet classification."""

import os

# TensorFlow prints CUDA/oneDNN notices at import on CPU-only machines; keep logs readable.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

__version__ = "0.1.0"
