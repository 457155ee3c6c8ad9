"""A synthetic series history in the nascaR.data layout, so the benchmark can import 200,000 results.

The files look like the package's export_series() CSVs (one row per driver per race, NA for missing values,
S1-S3 stage finishes in the Cup file only) and are shaped like the real histories: Cup from 1949, Xfinity
from 1982, Trucks from 1995, thousands of drivers of whom most start a handful of races, a few hundred
regulars, cars numbered as text ('07' is not '7'), and drivers moving up from one series to the next.
The same seed always gives the same files.
"""

import argparse
import csv
import math
import random
from dataclasses import dataclass, field
from pathlib import Path

HEADER = (
    "Season", "Race", "Track", "Name", "Length", "Surface", "Finish", "Start", "Car", "Driver", "Make", "Pts",
    "Laps", "Led", "Status", "Team", "S1", "S2", "S3", "Rating", "Win",
)  # fmt: skip
LAST_SEASON = 2025


@dataclass(frozen=True, slots=True)
class SeriesShape:
    """How one series' history is laid out."""

    code: str  # truck, nxs or cup: the --series of the importer
    first_season: int
    races_per_season: int
    share: float  # of all results
    stages_from: int | None  # first season with stage finishes in the file (Cup only)


SERIES = (
    SeriesShape("cup", 1949, 36, 0.60, 2017),
    SeriesShape("nxs", 1982, 33, 0.27, None),
    SeriesShape("truck", 1995, 23, 0.13, None),
)

TRACKS = (
    ("Daytona International Speedway", 2.5, "paved"),
    ("Talladega Superspeedway", 2.66, "paved"),
    ("Charlotte Motor Speedway", 1.5, "paved"),
    ("Atlanta Motor Speedway", 1.54, "paved"),
    ("Bristol Motor Speedway", 0.533, "paved"),
    ("Martinsville Speedway", 0.526, "paved"),
    ("Darlington Raceway", 1.366, "paved"),
    ("Richmond Raceway", 0.75, "paved"),
    ("Dover Motor Speedway", 1.0, "paved"),
    ("Pocono Raceway", 2.5, "paved"),
    ("Michigan International Speedway", 2.0, "paved"),
    ("Watkins Glen International", 2.45, "road"),
    ("Sonoma Raceway", 1.99, "road"),
    ("Phoenix Raceway", 1.0, "paved"),
    ("Las Vegas Motor Speedway", 1.5, "paved"),
    ("Texas Motor Speedway", 1.5, "paved"),
    ("Kansas Speedway", 1.5, "paved"),
    ("Homestead-Miami Speedway", 1.5, "paved"),
    ("Nashville Superspeedway", 1.33, "paved"),
    ("Indianapolis Motor Speedway", 2.5, "paved"),
    ("Rockingham Speedway", 1.017, "paved"),
    ("North Wilkesboro Speedway", 0.625, "paved"),
    ("Iowa Speedway", 0.875, "paved"),
    ("Gateway Motorsports Park", 1.25, "paved"),
    ("Eldora Speedway", 0.5, "dirt"),
    ("Lakewood Speedway", 1.0, "dirt"),
    ("Langhorne Speedway", 1.0, "dirt"),
    ("Road America", 4.048, "road"),
    ("Circuit of the Americas", 3.41, "road"),
    ("Mid-Ohio Sports Car Course", 2.258, "road"),
    ("New Hampshire Motor Speedway", 1.058, "paved"),
    ("Chicagoland Speedway", 1.5, "paved"),
    ("Kentucky Speedway", 1.5, "paved"),
    ("Auto Club Speedway", 2.0, "paved"),
    ("Milwaukee Mile", 1.0, "paved"),
    ("Memphis Motorsports Park", 0.75, "paved"),
)
SPONSORS = (
    "Coca-Cola", "Goodyear", "Food City", "Advance Auto Parts", "Pennzoil", "Bank of America", "Quaker State",
    "AAA", "Toyota", "Folds of Honor", "GEICO", "Cook Out", "Ally", "O'Reilly Auto Parts", "Winston", "Busch",
    "Miller", "Valvoline", "STP", "Mobil 1", "Sunoco", "Camping World", "Craftsman", "Purolator", "NAPA",
)  # fmt: skip
DISTANCES = ("200", "250", "300", "400", "500", "600", "125", "150", "Duel", "Classic", "Showdown", "Nationals")
TEAMS = (
    "Hendrick Motorsports", "Joe Gibbs Racing", "Team Penske", "Richard Childress Racing", "Roush Fenway Racing",
    "Wood Brothers Racing", "Petty Enterprises", "Stewart-Haas Racing", "Trackhouse Racing", "23XI Racing",
    "Front Row Motorsports", "Spire Motorsports", "JR Motorsports", "Kaulig Racing", "ThorSport Racing",
    "Kyle Busch Motorsports", "Tricon Garage", "GMS Racing", "Junior Johnson & Associates", "Holman-Moody",
    "DiGard Racing", "Bud Moore Engineering", "Robert Yates Racing", "Dale Earnhardt, Inc.", "Chip Ganassi Racing",
    "Hall of Fame Racing", "Legacy Motor Club", "RFK Racing", "Rick Ware Racing", "Live Fast Motorsports",
)  # fmt: skip
FIRST_NAMES = (
    "Kyle", "Chase", "Denny", "Joey", "Ryan", "Brad", "Martin", "Kevin", "Jimmie", "Jeff", "Dale", "Richard",
    "Bobby", "Darrell", "Cale", "David", "Rusty", "Mark", "Bill", "Terry", "Ricky", "Sterling", "Tony", "Matt",
    "Carl", "Greg", "Jamie", "Clint", "Kurt", "Austin", "Ty", "Corey", "Layne", "Tyler", "Daniel", "Christopher",
    "Ross", "Bubba", "Alex", "Erik", "Chris", "Justin", "John", "Michael", "Brandon", "Noah", "Sammy", "Sheldon",
    "Carson", "Zane", "Todd", "Ernie", "Harry", "Buck", "Fireball", "Junior", "Lee", "Ned", "Curtis", "Fred",
    "Benny", "Neil", "Geoff", "Ward", "Elliott", "Morgan", "Kenny", "Jeremy", "Casey", "Reed", "A.J.", "Juan",
    "Daniel", "Shane", "Stewart", "Ben", "Grant", "Parker", "Rajah", "Nick", "Ryan", "Ricky", "Hailie", "Jesse",
    "Gus", "Tanner", "Brett", "Cole", "Josh", "Riley", "Landon", "Connor", "Jake", "Dean", "Timmy", "Stacy",
    "Johnny", "Wendell", "Hershel", "Dick", "Jack", "Marvin", "Lloyd", "Buddy", "Donnie", "Tiny", "Coo Coo",
    "Rex", "Jody", "Hut", "Janet", "Shawna", "Danica", "Natalie", "Toni", "Patty", "Louise", "Sara", "Mario",
    "José", "Andrés", "Sébastien", "Nelson", "Jacques", "Max", "Marcos", "Ambrose", "Kimi", "Boris", "Miguel",
)  # fmt: skip
LAST_NAMES = (
    "Larson", "Elliott", "Hamlin", "Logano", "Blaney", "Keselowski", "Truex", "Harvick", "Johnson", "Gordon",
    "Earnhardt", "Petty", "Allison", "Waltrip", "Yarborough", "Pearson", "Wallace", "Martin", "Labonte", "Rudd",
    "Marlin", "Stewart", "Kenseth", "Edwards", "Biffle", "McMurray", "Bowyer", "Busch", "Dillon", "Heim", "Riggs",
    "Ankrum", "Hemric", "Bell", "Chastain", "Reddick", "Cindric", "Briscoe", "Byron", "Bowman", "Suárez",
    "Custer", "Berry", "Gragson", "Gibbs", "Nemechek", "Majeski", "Smith", "Friesen", "Enfinger", "Sauter",
    "Crafton", "Skinner", "Hornaday", "Bodine", "Irvan", "Jarrett", "Baker", "Roberts", "Turner", "Weatherly",
    "Lorenzen", "Flock", "Thomas", "Thompson", "Baldwin", "Isaac", "Cope", "Ingram", "Mast", "Mayfield",
    "Sadler", "Vickers", "Ragan", "Almirola", "Menard", "Mears", "Newman", "Burton", "Spencer", "Schrader",
    "Stricklin", "Nadeau", "Park", "Benson", "Kahne", "Sorenson", "Montoya", "Ambrose", "Allmendinger",
    "Stenhouse", "Buescher", "Jones", "Preece", "Haley", "Hocevar", "Zilisch", "Love", "Creed", "Mayer",
    "Kvapil", "Nemecheck", "Fontana", "Moise", "Patrick", "Deegan", "Raikkonen", "Gilliland", "Herbst",
    "Annett", "Alfredo", "Sieg", "Snider", "Graf", "Hill", "Lajoie", "Hensley", "Green", "Leffler", "Cassill",
    "Dibenedetto", "Ware", "Brown", "Davis", "Miller", "Wilson", "Moore", "Taylor", "Anderson", "Jackson",
    "White", "Harris", "Clark", "Lewis", "Walker", "Hall", "Young", "King", "Wright", "Scott", "Adams", "Nelson",
    "Carter", "Mitchell", "Perez", "Campbell", "Evans", "Collins", "Stewart", "Morris", "Rogers", "Reed", "Cook",
    "Bailey", "Cooper", "Howard", "Ward", "Cox", "Richardson", "Wood", "Watson", "Brooks", "Bennett", "Gray",
    "Hughes", "Price", "Sanders", "Myers", "Long", "Ross", "Foster", "Powell", "Jenkins", "Perry", "Russell",
    "Sullivan", "Bryant", "Griffin", "Hayes", "Fisher", "Ford", "Hamilton", "Graham", "Wells", "Cole", "West",
    "Jordan", "Owens", "Reynolds", "Ellis", "Harrison", "Gibson", "McDonald", "Cruz", "Marshall", "Gomez",
    "Murray", "Freeman", "Webb", "Tucker", "Porter", "Hunter", "Hicks", "Crawford", "Boyd", "Mason", "Warren",
    "Dixon", "Burns", "Gordon", "Shaw", "Holmes", "Rice", "Hunt", "Black", "Daniels", "Palmer", "Mills", "Grant",
    "Knight", "Ferguson", "Stone", "Hawkins", "Dunn", "Perkins", "Hudson", "Spencer", "Stephens", "Pierce",
    "Hansen", "Müller", "Lindqvist", "Dupré", "Ostrowski", "O'Neil", "McAllister", "DeWitt", "Van Dyke",
)  # fmt: skip
SUFFIXES = ("", "", "", "", "", "", "", "", "", "", "", "", " Jr.", " Jr.", " II", " III")
STATUSES = (
    "accident", "engine", "crash", "transmission", "overheating", "suspension", "brakes", "oil leak", "handling",
    "rear gear", "fuel pump", "electrical", "vibration", "DVP", "clutch", "parked",
)  # fmt: skip


def makes_of(season: int) -> tuple[str, ...]:
    """Return the makes that raced in a season."""
    if season < 1960:
        return ("Hudson", "Oldsmobile", "Chrysler", "Plymouth", "Ford", "Chevrolet", "Dodge")
    if season < 1990:
        return ("Ford", "Chevrolet", "Dodge", "Plymouth", "Pontiac", "Buick", "Oldsmobile", "Mercury")
    if season < 2007:
        return ("Ford", "Chevrolet", "Dodge", "Pontiac")
    return ("Ford", "Chevrolet", "Toyota")


class Names:
    """Hands out driver names no one else has, from first names, surnames and a few suffixes."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def new(self) -> str:
        """Return a name not handed out before."""
        while True:
            name = f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}{self.rng.choice(SUFFIXES)}"
            if name not in self.used:
                self.used.add(name)
                return name


@dataclass(slots=True)
class Driver:
    """A driver in one series' roster."""

    name: str
    skill: float
    car: str
    team: str
    make: str
    seasons_left: int


@dataclass(slots=True)
class Roster:
    """One series' drivers over the years: regulars who stay a few seasons, and one-off starters."""

    shape: SeriesShape
    field_size: int
    rng: random.Random
    names: Names
    drivers: list[Driver] = field(default_factory=list)

    def _driver(self, name: str, season: int, cars: set[str]) -> Driver:
        rng = self.rng
        car = self._car(cars)
        return Driver(name, rng.gauss(0, 1), car, rng.choice(TEAMS), rng.choice(makes_of(season)), rng.randint(1, 15))

    def _car(self, taken: set[str]) -> str:
        while True:
            number = self.rng.randint(0, 99)
            car = f"0{number}" if number < 10 and self.rng.random() < 0.15 else str(number)
            if car not in taken:
                taken.add(car)
                return car

    def new_season(self, season: int, promoted: list[str]) -> None:
        """Retire drivers whose time is up and sign new ones (some promoted from a lower series)."""
        for driver in self.drivers:
            driver.seasons_left -= 1
        self.drivers = [d for d in self.drivers if d.seasons_left > 0]
        cars = {d.car for d in self.drivers}
        names = {d.name for d in self.drivers}
        wanted = self.field_size + self.field_size // 3
        while len(self.drivers) < wanted:
            name = promoted.pop() if promoted and self.rng.random() < 0.5 else self.names.new()
            if name not in names:
                names.add(name)
                self.drivers.append(self._driver(name, season, cars))
        for driver in self.drivers:
            driver.make = self.rng.choice(makes_of(season)) if driver.make not in makes_of(season) else driver.make

    def race_field(self, season: int, one_offs: list[str]) -> list[Driver]:
        """Return the starters of one race: most of the roster plus a few one-off entries."""
        rng = self.rng
        one_off_count = min(rng.randint(0, 3), self.field_size // 4)
        regulars = rng.sample(self.drivers, self.field_size - one_off_count)
        cars = {d.car for d in regulars}
        starters = list(regulars)
        names = {d.name for d in self.drivers}
        while len(starters) < self.field_size:
            name = one_offs.pop() if one_offs and rng.random() < 0.4 else self.names.new()
            if name not in names:
                names.add(name)
                starters.append(self._driver(name, season, cars))
        return starters


def _rows_for_race(shape: SeriesShape, season: int, round_: int, starters: list[Driver], rng: random.Random) -> list:
    """Return the CSV rows of one race, in finishing order."""
    track, length, surface = TRACKS[(round_ * 7 + len(shape.code)) % len(TRACKS)]
    name = f"{SPONSORS[(season + round_) % len(SPONSORS)]} {DISTANCES[(round_ + season // 5) % len(DISTANCES)]}"
    laps_scheduled = max(30, round(rng.choice((250, 300, 400, 500, 600)) / length / 2))
    order = sorted(starters, key=lambda d: d.skill + rng.gauss(0, 1.3), reverse=True)
    grid = sorted(range(len(order)), key=lambda i: i + rng.gauss(0, 6))
    start_of = {index: position for position, index in enumerate(grid, start=1)}
    leaders = rng.sample(range(min(6, len(order))), k=min(len(order), rng.randint(1, 6)))
    led_share = {index: rng.random() for index in leaders}
    total_share = sum(led_share.values()) or 1.0
    old = season < 1972
    stages = shape.stages_from is not None and season >= shape.stages_from
    stage_orders = [sorted(range(len(order)), key=lambda i: i + rng.gauss(0, 5)) for _ in range(3)] if stages else []
    rows = []
    for index, driver in enumerate(order):
        finish = index + 1
        running = finish <= len(order) * 0.75 or rng.random() < 0.3
        laps = laps_scheduled if running else rng.randint(1, laps_scheduled - 1)
        led = round(laps_scheduled * led_share[index] / total_share) if index in led_share else 0
        points = max(1, 41 - finish) + (3 if finish == 1 else 0) if season >= 2017 else max(34, 185 - 5 * index)
        stage_cells = ["NA", "NA", "NA"]
        if stages:
            stage_cells = [str(o.index(index) + 1) if o.index(index) < 10 else "NA" for o in stage_orders]
        rows.append(
            (
                season,
                round_,
                track,
                name,
                length,
                surface,
                finish,
                "NA" if old and rng.random() < 0.2 else start_of[index],
                driver.car,
                driver.name,
                driver.make,
                points,
                laps,
                "NA" if old else led,
                "running" if running else rng.choice(STATUSES),
                "NA" if old and rng.random() < 0.5 else driver.team,
                *stage_cells,
                f"{max(20.0, 150 - 2.5 * index + rng.gauss(0, 8)):.1f}",
                1 if finish == 1 else 0,
            )
        )
    return rows


def generate(folder: Path, *, results: int = 200_000, seed: int = 2025) -> dict[str, tuple[Path, int]]:
    """Write cup.csv, nxs.csv and truck.csv holding at least `results` rows in all; return code -> (file, rows)."""
    rng = random.Random(seed)  # noqa: S311 - made-up data, not secrets
    names = Names(rng)
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, tuple[Path, int]] = {}
    rosters = {}
    for shape in SERIES:
        seasons = LAST_SEASON - shape.first_season + 1
        field_size = math.ceil(results * shape.share / (seasons * shape.races_per_season))
        rosters[shape.code] = Roster(shape, field_size, rng, names)
    # Lower series first each season, so their drivers can move up the next season.
    by_season_order = sorted(SERIES, key=lambda s: ("truck", "nxs", "cup").index(s.code))
    outputs = {s.code: (folder / f"{s.code}.csv").open("w", newline="", encoding="utf-8") for s in SERIES}
    writers = {code: csv.writer(fh) for code, fh in outputs.items()}
    counts = dict.fromkeys(outputs, 0)
    try:
        for shape in SERIES:
            stages = shape.stages_from is not None
            header = HEADER if stages else tuple(h for h in HEADER if h not in ("S1", "S2", "S3"))
            writers[shape.code].writerow(header)
        pool: dict[str, list[str]] = {"nxs": [], "cup": []}  # drivers who may move up next season
        for season in range(min(s.first_season for s in SERIES), LAST_SEASON + 1):
            for shape in by_season_order:
                if season < shape.first_season:
                    continue
                roster = rosters[shape.code]
                above = {"truck": "nxs", "nxs": "cup"}.get(shape.code)
                roster.new_season(season, pool.get(shape.code, []))
                one_offs = list(pool.get(shape.code, []))
                for round_ in range(1, shape.races_per_season + 1):
                    rows = _rows_for_race(shape, season, round_, roster.race_field(season, one_offs), rng)
                    if shape.stages_from is None:
                        rows = [row[:16] + row[19:] for row in rows]
                    writers[shape.code].writerows(rows)
                    counts[shape.code] += len(rows)
                if above is not None:
                    best = sorted(roster.drivers, key=lambda d: d.skill, reverse=True)[:6]
                    pool[above] = list(dict.fromkeys([d.name for d in best] + pool[above][:20]))
    finally:
        for fh in outputs.values():
            fh.close()
    for shape in SERIES:
        written[shape.code] = (folder / f"{shape.code}.csv", counts[shape.code])
    return written


def weekly_versions(text: str, weeks: int) -> list[str]:
    """Return a series file as published on successive Mondays: without its last `weeks` races, then one more each.

    The first is the file before the last races were run, the last is the whole file; each differs from the one
    before by one race appended, as nascaR.data's Monday job appends the weekend's race. Rows are in race order.
    """
    header, *rows = text.splitlines(keepends=True)
    races: list[tuple[str, str]] = []  # (season, round) in file order
    starts: list[int] = []  # the row each race starts at
    for number, line in enumerate(rows):
        season, round_ = line.split(",", 2)[:2]
        if not races or races[-1] != (season, round_):
            races.append((season, round_))
            starts.append(number)
    weeks = min(weeks, len(races) - 1)
    cuts = [starts[len(races) - left] for left in range(weeks, 0, -1)] + [len(rows)]
    return [header + "".join(rows[:cut]) for cut in cuts]


def main(argv: list[str] | None = None) -> int:
    """Write the files into a folder: python -m bench.synthetic FOLDER [--results N]."""
    parser = argparse.ArgumentParser(prog="python -m bench.synthetic", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--results", type=int, default=200_000, help="at least this many rows in all")
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args(argv)
    for code, (path, rows) in generate(args.folder, results=args.results, seed=args.seed).items():
        print(f"{code}: {rows:,} rows in {path}")  # noqa: T201 - command-line output
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
