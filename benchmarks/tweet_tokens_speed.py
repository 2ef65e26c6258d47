"""NLTK's TweetTokenizer call against `tweet_tokens` on 30,000 joined Yachay tweets, one process.

Joins the tweets as the cleaning batch path does (" \\x7f "), then times both three times, one
after the other, and says whether the token lists are the same:

    python benchmarks/tweet_tokens_speed.py
"""

from __future__ import annotations

import time

from predict_command import yachay_rows  # this folder's script: the same 30,000 tweets
from tweetgeo.nltk_lean import TweetTokenizer
from tweetgeo.tweet_tokens import tweet_tokens


def main() -> None:
    text = " \x7f ".join(row["text"] for row in yachay_rows(30000, 3, 19))
    nltk_call = TweetTokenizer(preserve_case=True, reduce_len=True, match_phone_numbers=False).tokenize
    for _ in range(3):
        start = time.perf_counter()
        theirs = nltk_call(text)
        middle = time.perf_counter()
        ours = tweet_tokens(text)
        end = time.perf_counter()
        print(f"NLTK {middle - start:.3f} s   tweet_tokens {end - middle:.3f} s   "
              f"{(middle - start) / (end - middle):.2f}x   same tokens: {theirs == ours}")


if __name__ == "__main__":
    main()
