"""The tracks Pit Board knows the local time of: one table of tracks and their IANA time zones, for every feature.

A race's date and start time are the track's local ones; this table turns them into instants. The store names a
track as its source does: NASCAR's full name ("Homestead-Miami Speedway"), a former name ("Sears Point Raceway")
or DriverAverages' short one ("Homestead"), so each row also lists the words that name the place whatever the
track was called that year.
"""

import functools
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.names import fold

EASTERN = "America/New_York"
CENTRAL = "America/Chicago"
MOUNTAIN = "America/Denver"
ARIZONA = "America/Phoenix"  # mountain time without daylight saving
PACIFIC = "America/Los_Angeles"
INDIANA = "America/Indiana/Indianapolis"
MICHIGAN = "America/Detroit"
ONTARIO_QUEBEC = "America/Toronto"
MEXICO_CITY = "America/Mexico_City"

# A track nobody has put in the table is read as Eastern: Pit Board follows NASCAR, whose tracks are mostly in
# the East and whose schedules quote Eastern time; Eastern midnight also comes later than UTC's, so a window
# counted from it opens and closes later, which errs towards hiding a US race's result rather than showing it.
FALLBACK_ZONE = EASTERN


@dataclass(frozen=True, slots=True)
class TrackZone:
    """A track, the names it goes by, and its IANA time zone."""

    name: str  # as NASCAR names it now
    zone: str
    names: tuple[str, ...] = ()  # former names, matched whole
    places: tuple[str, ...] = ()  # words naming the place, matched inside any name ("homestead", "daytona")


TRACKS: tuple[TrackZone, ...] = (
    # Eastern
    TrackZone("Daytona International Speedway", EASTERN, ("Daytona Road Course",), ("daytona",)),
    TrackZone("Homestead-Miami Speedway", EASTERN, ("Miami-Dade Homestead Motorsports Complex",), ("homestead",)),
    TrackZone("Atlanta Motor Speedway", EASTERN, ("EchoPark Speedway", "Atlanta International Raceway"), ("atlanta",)),
    TrackZone("Lakewood Speedway", EASTERN, (), ("lakewood",)),
    TrackZone("Charlotte Motor Speedway", EASTERN, ("Lowe's Motor Speedway", "Charlotte Roval"), ("charlotte",)),
    TrackZone("Bristol Motor Speedway", EASTERN, ("Bristol International Raceway",), ("bristol",)),
    TrackZone("Martinsville Speedway", EASTERN, (), ("martinsville",)),
    TrackZone("Darlington Raceway", EASTERN, (), ("darlington",)),
    TrackZone("Richmond Raceway", EASTERN, ("Richmond International Raceway", "Richmond Fairgrounds"), ("richmond",)),
    TrackZone("Dover Motor Speedway", EASTERN, ("Dover International Speedway", "Dover Downs"), ("dover",)),
    TrackZone("Pocono Raceway", EASTERN, ("Pocono International Raceway",), ("pocono",)),
    TrackZone("Watkins Glen International", EASTERN, (), ("watkins glen",)),
    TrackZone(
        "New Hampshire Motor Speedway", EASTERN, ("New Hampshire International Speedway",), ("new hampshire", "loudon")
    ),
    TrackZone("Mid-Ohio Sports Car Course", EASTERN, (), ("mid ohio",)),
    TrackZone("Eldora Speedway", EASTERN, (), ("eldora",)),
    TrackZone("Kentucky Speedway", EASTERN, (), ("kentucky", "sparta")),
    TrackZone("Louisville Motor Speedway", EASTERN, (), ("louisville",)),
    TrackZone(
        "Rockingham Speedway", EASTERN, ("North Carolina Speedway", "North Carolina Motor Speedway"), ("rockingham",)
    ),
    TrackZone("North Wilkesboro Speedway", EASTERN, (), ("north wilkesboro",)),
    TrackZone("Hickory Motor Speedway", EASTERN, (), ("hickory",)),
    TrackZone("Bowman Gray Stadium", EASTERN, (), ("bowman gray",)),
    TrackZone("South Boston Speedway", EASTERN, (), ("south boston",)),
    TrackZone("Myrtle Beach Speedway", EASTERN, (), ("myrtle beach",)),
    TrackZone("Greenville-Pickens Speedway", EASTERN, (), ("greenville pickens",)),
    TrackZone("Nazareth Speedway", EASTERN, (), ("nazareth",)),
    TrackZone("Langhorne Speedway", EASTERN, (), ("langhorne",)),
    TrackZone("Trenton Speedway", EASTERN, (), ("trenton",)),
    TrackZone("Lime Rock Park", EASTERN, (), ("lime rock",)),
    TrackZone("Mansfield Motorsports Park", EASTERN, (), ("mansfield",)),
    TrackZone("Michigan International Speedway", MICHIGAN, (), ("michigan",)),
    TrackZone("Indianapolis Motor Speedway", INDIANA, ("Indianapolis Road Course",), ("indianapolis", "brickyard")),
    TrackZone(
        "Lucas Oil Indianapolis Raceway Park",
        INDIANA,
        ("Lucas Oil Raceway", "O'Reilly Raceway Park", "Indianapolis Raceway Park"),
        (),
    ),
    TrackZone("Canadian Tire Motorsport Park", ONTARIO_QUEBEC, ("Mosport International Raceway",), ("mosport",)),
    TrackZone("Circuit Gilles Villeneuve", ONTARIO_QUEBEC, (), ("montreal", "gilles villeneuve")),
    # Central
    TrackZone("Talladega Superspeedway", CENTRAL, ("Alabama International Motor Speedway",), ("talladega",)),
    TrackZone("Texas Motor Speedway", CENTRAL, ("Texas World Speedway",), ("texas",)),
    TrackZone("Circuit of The Americas", CENTRAL, ("COTA",), ("circuit of the americas",)),
    TrackZone("Kansas Speedway", CENTRAL, (), ("kansas",)),
    TrackZone("Chicagoland Speedway", CENTRAL, (), ("chicagoland", "joliet")),
    TrackZone("Chicago Street Course", CENTRAL, (), ("chicago",)),
    TrackZone(
        "Nashville Superspeedway", CENTRAL, ("Nashville Fairgrounds Speedway", "Fairgrounds Speedway"), ("nashville",)
    ),
    TrackZone(
        "World Wide Technology Raceway",
        CENTRAL,
        ("Gateway International Raceway", "Gateway Motorsports Park"),
        ("gateway", "world wide technology"),
    ),
    TrackZone("Iowa Speedway", CENTRAL, (), ("iowa",)),
    TrackZone("Knoxville Raceway", CENTRAL, (), ("knoxville",)),  # Knoxville, Iowa
    TrackZone("Road America", CENTRAL, (), ("road america", "elkhart lake")),
    TrackZone("Milwaukee Mile", CENTRAL, (), ("milwaukee",)),
    TrackZone("Madison International Speedway", CENTRAL, (), ()),
    TrackZone("Memphis Motorsports Park", CENTRAL, ("Memphis International Raceway",), ("memphis",)),
    TrackZone("Autodromo Hermanos Rodriguez", MEXICO_CITY, (), ("mexico city", "hermanos rodriguez")),
    # Mountain
    TrackZone("Phoenix Raceway", ARIZONA, ("Phoenix International Raceway", "ISM Raceway"), ("phoenix", "avondale")),
    TrackZone("Pikes Peak International Raceway", MOUNTAIN, (), ("pikes peak",)),
    TrackZone("Colorado National Speedway", MOUNTAIN, (), ()),
    TrackZone("Utah Motorsports Campus", MOUNTAIN, ("Miller Motorsports Park",), ()),
    # Pacific
    TrackZone("Las Vegas Motor Speedway", PACIFIC, ("Las Vegas Motor Speedway Bullring",), ("las vegas",)),
    TrackZone("Sonoma Raceway", PACIFIC, ("Sears Point Raceway", "Infineon Raceway"), ("sonoma", "sears point")),
    TrackZone("Auto Club Speedway", PACIFIC, ("California Speedway",), ("fontana", "auto club")),
    TrackZone("Riverside International Raceway", PACIFIC),  # not "riverside": Agawam's Riverside Park is Eastern
    TrackZone("Ontario Motor Speedway", PACIFIC),  # not "ontario": Canada's Ontario is Eastern
    TrackZone("Portland International Raceway", PACIFIC, (), ("portland",)),
    TrackZone("Evergreen Speedway", PACIFIC, (), ("evergreen",)),
    TrackZone("Mesa Marin Raceway", PACIFIC, (), ("mesa marin",)),
    TrackZone("Irwindale Speedway", PACIFIC, (), ("irwindale",)),
    TrackZone("Los Angeles Memorial Coliseum", PACIFIC, (), ("los angeles", "coliseum")),
    TrackZone("Naval Base Coronado", PACIFIC, (), ("san diego", "coronado")),
)

# The clocks a start time may name ("8:00 PM ET"): schedules often quote Eastern time for a track elsewhere.
CLOCKS: dict[str, str] = {
    "et": EASTERN,
    "est": EASTERN,
    "edt": EASTERN,
    "ct": CENTRAL,
    "cst": CENTRAL,
    "cdt": CENTRAL,
    "mt": MOUNTAIN,
    "mst": MOUNTAIN,
    "mdt": MOUNTAIN,
    "pt": PACIFIC,
    "pst": PACIFIC,
    "pdt": PACIFIC,
    "utc": "UTC",
    "gmt": "UTC",
}


def _whole(folded: str) -> str:
    """Return folded text padded with spaces, so a place matches only whole words ('dover', not 'andover')."""
    return f" {folded} "


@functools.lru_cache(maxsize=1)
def _by_name() -> dict[str, TrackZone]:
    """Return every track by each of its folded whole names."""
    return {fold(name): track for track in TRACKS for name in (track.name, *track.names)}


@functools.lru_cache(maxsize=512)
def track_zone(name: str) -> TrackZone | None:
    """Return the table's row for a track as the store names it, or None when the table does not know it.

    A whole name (now or former) wins; otherwise the longest place word found in the name ("Daytona Road
    Course", DriverAverages' "Homestead").
    """
    folded = fold(name)
    if (track := _by_name().get(folded)) is not None:
        return track
    found = [(len(place), track) for track in TRACKS for place in track.places if _whole(place) in _whole(folded)]
    return max(found, key=lambda pair: pair[0])[1] if found else None


def zone_of(name: str) -> ZoneInfo:
    """Return a track's time zone; Eastern for a track the table does not know (see FALLBACK_ZONE)."""
    track = track_zone(name)
    return ZoneInfo(track.zone if track is not None else FALLBACK_ZONE)


def clock_zone(label: str) -> ZoneInfo | None:
    """Return the zone a start time's clock label names ('ET', 'PDT'), or None for a label not in CLOCKS."""
    zone = CLOCKS.get(fold(label))
    return ZoneInfo(zone) if zone is not None else None
