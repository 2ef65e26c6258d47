"""tweetgeo: reproducible tweet geolocation and disaster-tweet classification."""

__version__ = "0.1.0"
