"""NLTK without the optional extras its package init imports and tweetgeo never uses.

`import nltk` imports scipy.stats (for collocation statistics) and scikit-learn (for its
SklearnClassifier wrapper), each inside `try: … except ImportError`: together 1.5–2 s of the
2.2 s that importing NLTK takes, paid by every `tweetgeo predict` before it cleans a text. Here
they are hidden while NLTK initialises (NLTK falls back as it does when they are not installed)
and importable again right after, so scikit-learn and SciPy load as usual when tweetgeo needs them.
Only those two NLTK extras (`nltk.metrics.association.fisher_exact`, `nltk.classify.SklearnClassifier`)
stay unusable in a process that imported NLTK this way.
"""

from __future__ import annotations

import sys

_OPTIONAL_EXTRAS = ("scipy.stats", "sklearn")


def _import_nltk():
    """The nltk package, initialised with its optional extras hidden (see the module docstring)."""
    if "nltk" in sys.modules:
        return sys.modules["nltk"]
    hidden = [name for name in _OPTIONAL_EXTRAS if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # `import name` raises ImportError while this is set
    try:
        import nltk
        import nltk.tokenize.casual  # noqa: F401  (imported here too, while the extras are hidden)
    finally:
        for name in hidden:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]
    return nltk


nltk = _import_nltk()

from nltk.tokenize import TweetTokenizer  # noqa: E402  (NLTK is initialised above)
from nltk.tokenize.casual import EMOTICONS, URLS  # noqa: E402

__all__ = ["EMOTICONS", "URLS", "TweetTokenizer", "nltk"]
