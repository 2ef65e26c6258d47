"""The canonical table: column names, defined once, used by every stage."""

from __future__ import annotations

ID = "id"  # str, unique within a data set
TEXT = "text"  # str, raw text (prepared) or cleaned, space-joined tokens (clean)
USER = "user"  # str or missing: the author (GeoText: one document per user)
LAT = "lat"  # float degrees, -90..90, missing for non-geo data
LON = "lon"  # float degrees, -180..180
TARGET = "target"  # Int64 0/1 (disaster), missing where unlabelled
SPLIT = "split"  # one of SPLITS
REGION = "region"  # Int64: Yachay's source region (0–122), missing elsewhere
TWEET_SEPARATOR = " ||| "  # joins one GeoText user's tweets into their document (text cleaning drops it)
RAW_TEXT = "raw_text"  # clean stage keeps the original text beside the cleaned one

TRAIN, VALIDATION, TEST = "train", "validation", "test"
SPLITS = (TRAIN, VALIDATION, TEST)
CANONICAL = (ID, TEXT, USER, LAT, LON, TARGET, SPLIT, REGION)
