"""Finding what a fan typed: races, drivers, series and tracks, ranked forgivingly. Pure: no Discord, no cache."""

from bot.search.index import CarTable, DriverMatch, SearchIndex, Track
from bot.search.rank import (
    MAX_CHOICES,
    driver_suggestions,
    race_suggestions,
    rank_drivers,
    rank_races,
    rank_series,
    rank_tracks,
    season_suggestions,
    series_suggestions,
    track_suggestions,
)
from bot.search.resolve import (
    echo,
    race_in_context,
    resolve_driver,
    resolve_race,
    resolve_series,
    resolve_track,
)
from bot.search.scoring import ACCEPT, SUGGEST, car_query, name_score, race_score

__all__ = [
    "ACCEPT",
    "MAX_CHOICES",
    "SUGGEST",
    "CarTable",
    "DriverMatch",
    "SearchIndex",
    "Track",
    "car_query",
    "driver_suggestions",
    "echo",
    "name_score",
    "race_in_context",
    "race_score",
    "race_suggestions",
    "rank_drivers",
    "rank_races",
    "rank_series",
    "rank_tracks",
    "resolve_driver",
    "resolve_race",
    "resolve_series",
    "resolve_track",
    "season_suggestions",
    "series_suggestions",
    "track_suggestions",
]
