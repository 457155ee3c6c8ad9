"""A small synthetic Truck history in the nascaR.data export layout, with the dirt real exports carry.

Three seasons (2023, 2024, 2025) of six-truck races, plus the curated 2025 Homestead race as DriverAverages
would export it (car numbers turned into numbers, one value that disagrees). Every expected figure in the tests
is counted by hand from the tables below.
"""

import csv
import io
from dataclasses import dataclass, field

from tests.conftest import DATA_DIR

COLUMNS = (
    "Season", "Race", "Track", "Name", "Length", "Surface", "Finish", "Start", "Car", "Driver", "Make", "Pts",
    "Laps", "Led", "Status", "Team", "S1", "S2", "S3", "Seg Points", "Rating", "Win",
)  # fmt: skip

# code -> (name as usually written, car, team, make)
DRIVERS = {
    "LAR": ("Kyle Larson", "7", "Spire Motorsports", "Chevrolet"),
    "HEI": ("Corey Heim", "11", "TRICON Garage", "Toyota"),
    "RIG": ("Layne Riggs", "34", "Front Row Motorsports", "Ford"),
    "MAJ": ("Ty Majeski", "98", "ThorSport Racing", "Ford"),
    "ENF": ("Grant Enfinger", "9", "CR7 Motorsports", "Chevrolet"),
    "HOC": ("Carson Hocevar", "42", "Niece Motorsports", "Chevrolet"),
    "STE": ("Ricky Stenhouse Jr.", "47", "Hyak Motorsports", "Chevrolet"),
    "PDL": ("Andrés Pérez de Lara", "77", "Spire Motorsports", "Chevrolet"),
}
TRACKS = {
    "Daytona": ("Daytona International Speedway", "2.5", "Paved"),
    "Atlanta": ("Atlanta Motor Speedway", "1.54", "Paved"),
    "Las Vegas": ("Las Vegas Motor Speedway", "1.5", "Paved"),
    "Homestead": ("Homestead", "1.5", "Paved"),  # DriverAverages' short name for Homestead-Miami Speedway
    "Martinsville": ("Martinsville Speedway", "0.526", "Paved"),
    "Kansas": ("Kansas Speedway", "1.5", "Paved"),
    "North Wilkesboro": ("North Wilkesboro Speedway", "0.625", "Paved"),
    "Bristol": ("Bristol Motor Speedway", "0.533", "Paved"),
}
# (season, round, track, race name, finishing order)
RACES = (
    (2023, 1, "Daytona", "NextEra Energy 250", "HEI RIG LAR MAJ STE ENF"),
    (2023, 2, "Las Vegas", "Victoria's Voice Foundation 200", "MAJ LAR HEI ENF RIG HOC"),
    (2023, 3, "Atlanta", "Fr8 208", "LAR HEI MAJ RIG ENF STE"),
    (2023, 4, "Homestead", "Baptist Health 200", "HOC ENF HEI LAR MAJ RIG"),
    (2023, 5, "Martinsville", "Long John Silver's 200", "RIG HEI ENF MAJ LAR HOC"),
    (2023, 6, "Kansas", "Heart of America 200", "HEI MAJ RIG LAR ENF STE"),
    (2023, 7, "North Wilkesboro", "Tyson 250", "LAR RIG HEI ENF MAJ HOC"),
    (2023, 8, "Bristol", "UNOH 200", "ENF HEI LAR RIG MAJ HOC"),
    (2024, 1, "Daytona", "Fresh From Florida 250", "HEI LAR RIG PDL MAJ ENF"),
    (2024, 2, "Atlanta", "Fr8 208", "RIG HEI MAJ LAR ENF PDL"),
    (2024, 3, "Las Vegas", "Victoria's Voice Foundation 200", "HEI RIG LAR ENF MAJ PDL"),
    (2024, 4, "Homestead", "Baptist Health 200", "ENF RIG HEI MAJ LAR PDL"),
    (2024, 5, "Martinsville", "Long John Silver's 200", "MAJ HEI LAR RIG ENF PDL"),
    (2024, 6, "Bristol", "UNOH 200", "HEI ENF RIG LAR MAJ PDL"),
    (2025, 1, "Daytona", "Fresh From Florida 250", "RIG HEI MAJ ENF PDL STE"),
    (2025, 2, "Atlanta", "Fr8 208", "LAR HEI RIG MAJ ENF PDL"),
    (2025, 3, "Las Vegas", "Ecosave 200", "HEI MAJ ENF RIG PDL STE"),
    # 2025 round 4 is the curated Homestead race: its rows come from data/homestead-2025/results.csv.
    (2025, 5, "Martinsville", "Long John Silver's 200", "HEI RIG LAR MAJ ENF PDL"),
)
CURATED_ROUND = (2025, 4)
# How the file spells Ricky Stenhouse Jr. in each race he ran: one driver, four spellings.
STENHOUSE = {
    (2023, 1): "Ricky Stenhouse Jr",
    (2023, 3): "Ricky Stenhouse Jr.",
    (2023, 6): "RICKY STENHOUSE JUNIOR",
    (2025, 1): "Ricky Stenhouse, Jr.",
    (2025, 3): "Ricky Stenhouse Jr.",
}
WINNER_LED = 50


@dataclass
class HistoryCsv:
    """The generated file and the line numbers the tests refer to."""

    text: str
    lines: dict[str, int] = field(default_factory=dict)
    rows: int = 0

    def only(self, *seasons: int) -> str:
        """Return the file with only the data rows of these seasons (dirty rows of other seasons dropped)."""
        reader = csv.reader(io.StringIO(self.text))
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(next(reader))
        writer.writerows(row for row in reader if row[0].isdigit() and int(row[0]) in seasons)
        return out.getvalue()


def _race_rows(season: int, round_: int, track: str, name: str, order: str) -> list[list[str]]:
    full, length, surface = TRACKS[track]
    rows = []
    codes = order.split()
    for finish, code in enumerate(codes, start=1):
        driver, car, team, make = DRIVERS[code]
        if code == "STE":
            driver = STENHOUSE[(season, round_)]
        if code == "LAR" and (season, round_) == (2023, 1):
            car = "7.0"  # a spreadsheet stored the car number as a number
        start = "NA" if (season, round_) == (2023, 2) else str(len(codes) + 1 - finish)
        if code == "STE" and (season, round_) == (2023, 3):
            start = "0"  # DriverAverages' 'start not known'
        stage_1 = str(finish) if season == 2025 and finish <= 3 else "NA"
        stage_2 = str(4 - finish) if season == 2025 and finish <= 3 else "NA"
        last = finish == len(codes)
        rows.append(
            [
                str(season), str(round_), full, name, length, surface, str(finish), start, car, driver, make,
                str(40 - finish), "150" if last else "200", str(WINNER_LED if finish == 1 else 0),
                "Accident" if last else "running", team, stage_1, stage_2, "NA", "NA", "88.5",
                "1" if finish == 1 else "0",
            ]
        )  # fmt: skip
    return rows


def _curated_rows() -> list[list[str]]:
    """Return the curated Homestead results as DriverAverages exports them: '07' written as 7, and one difference."""
    rows = []
    with (DATA_DIR / "homestead-2025" / "results.csv").open(newline="", encoding="utf-8") as fh:
        for entry in csv.DictReader(fh):
            driver = "Andrés Pérez de Lara" if entry["driver"] == "Andres Perez de Lara" else entry["driver"]
            led = "32" if entry["driver"] == "Ross Chastain" else entry["laps_led"]  # curated: 33
            rows.append(
                [
                    "2025", "4", "Homestead", "Baptist Health 200", "1.5", "Paved", entry["finish"], entry["start"],
                    str(int(entry["car"])), driver, entry["make"], entry["points"], entry["laps"], led,
                    entry["status"], entry["team"], "NA", "NA", "NA", "", "NA", "1" if entry["finish"] == "1" else "0",
                ]
            )  # fmt: skip
    return rows


def _dirty(base: list[str], **changes: str) -> list[str]:
    row = list(base)
    for column, value in changes.items():
        row[COLUMNS.index(column.replace("_", " "))] = value
    return row


def history_csv() -> HistoryCsv:
    """Return the synthetic export, with seven rows that must be rejected placed among the good ones."""
    result = HistoryCsv("")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
    writer.writerow(COLUMNS)
    line = 1

    def write(row: list[str], label: str | None = None) -> None:
        nonlocal line
        line += 1
        result.rows += 1
        writer.writerow(row)
        if label:
            result.lines[label] = line

    for season, round_, track, name, order in RACES:
        if (season, round_) == (2025, 5):
            for row in _curated_rows():
                write(row, "homestead" if row[6] == "1" else "chastain" if "Chastain" in row[9] else None)
        rows = _race_rows(season, round_, track, name, order)
        for row in rows:
            write(row, f"{season}-{round_}-{row[6]}")
        match (season, round_):
            case (2023, 2):
                write(rows[0], "duplicate")
            case (2023, 5):
                write(_dirty(rows[3], Finish="7", Win="0"), "majeski again")
            case (2023, 6):
                write(_dirty(rows[0], Driver="Matt Mills", Finish="3", Win="0", Car="42"), "finish taken")
            case (2024, 2):
                write(_dirty(rows[5], Driver="Ben Rhodes", Finish="7", Car="NA"), "no car")
            case (2024, 3):
                write(_dirty(rows[5], Driver="Jake Garcia", Finish="", Car="13", Win="0"), "no finish")
            case (2024, 6):
                write(_dirty(rows[5], Driver="Matt Crafton", Finish="7", Car="88", Win="1"), "win mismatch")
            case (2025, 1):
                write(_dirty(rows[5], Season="20x4", Driver="Stewart Friesen"), "bad season")
    result.text = out.getvalue()
    return result


# --- files in the shape of nascaR.data's own host (R's write.csv), with the real Truck history's pitfalls --------

V3_COLUMNS = (
    "Season", "Race", "Track", "Name", "Length", "Surface", "Finish", "Start", "Car", "Driver", "Make", "Pts",
    "Laps", "Led", "Status", "Team", "S1", "S2", "S3", "Rating", "Win",
)  # fmt: skip
# Files written before v3: Seg Points, and no S3.
OLD_COLUMNS = (*V3_COLUMNS[:18], "Seg Points", "Rating", "Win")
LAYOUTS = {"v3": V3_COLUMNS, "old": OLD_COLUMNS}

# The 2015 and 2016 Michigan Truck races' real names (101 and 113 characters).
MICHIGAN_2015 = "Careers for Veterans 200 Presented by Cooper Standard and Brad Keselowski's Checkered Flag Foundation"
MICHIGAN_2016 = (
    "Careers for Veterans 200, presented by Cooper Standard Foundation and Brad Keselowski's Checkered Flag Foundation"
)
# (season, round, track, name, length, drivers in finishing order): synthetic results, real pitfalls
PITFALL_RACES = (
    (2015, 9, "Michigan International Speedway", MICHIGAN_2015, 2.0, "HEI RIG LAR MAJ ENF HOC"),
    (2016, 10, "Michigan International Speedway", MICHIGAN_2016, 2.0, "RIG HEI MAJ LAR HOC ENF"),
    (2021, 8, "Texas Motor Speedway", "SpeedyCash.com 220", 1.5, "MAJ HEI CHA ENF RIG LAR"),
)
PITFALL_DRIVERS = DRIVERS | {"CHA": ("Ross Chastain", "41", "Niece Motorsports", "Chevrolet")}
PITFALL_ROWS = sum(len(order.split()) for *_, order in PITFALL_RACES)


def r_csv(columns: tuple[str, ...], rows: list[dict[str, object]]) -> str:
    """Return rows as R's write.csv writes them: every text value quoted, numbers bare, missing values NA."""

    def cell(value: object) -> str:
        if value is None:
            return "NA"
        if isinstance(value, int | float):
            return str(value)
        return '"' + str(value).replace('"', '""') + '"'

    lines = [",".join(cell(c) for c in columns)]
    lines += [",".join(cell(row.get(c)) for c in columns) for row in rows]
    return "\n".join(lines) + "\n"


def pitfall_rows() -> list[dict[str, object]]:
    """Return the pitfall races' rows (before any layout), with the placeholder of a race not yet run at the end."""
    rows: list[dict[str, object]] = []
    for season, round_, track, name, length, order in PITFALL_RACES:
        for finish, code in enumerate(order.split(), start=1):
            driver, car, team, make = PITFALL_DRIVERS[code]
            stage_2 = {"CHA": 5, "ENF": 5}.get(code) if season == 2021 else None  # two drivers with S2 5
            rows.append(
                {
                    "Season": season, "Race": round_, "Track": track, "Name": name, "Length": length,
                    "Surface": "paved", "Finish": finish, "Start": None if code == "LAR" else 7 - finish,
                    "Car": car, "Driver": driver, "Make": make, "Pts": 41 - finish, "Laps": 100,
                    "Led": 30 if finish == 1 else None, "Status": "running", "Team": None if code == "HOC" else team,
                    "S1": None, "S2": stage_2, "S3": None, "Seg Points": stage_2, "Rating": 90.5,
                    "Win": int(finish == 1),
                }
            )  # fmt: skip
    rows.append({"Season": 2026, "Race": 1})  # a placeholder for a race not yet run: nothing else is known
    return rows


def pitfalls_csv(layout: str = "v3") -> str:
    """Return the pitfall races as a nascaR.data file in one of its two layouts ('v3' or 'old')."""
    return r_csv(LAYOUTS[layout], pitfall_rows())


def daytona_2024_winner_only(synthetic: HistoryCsv) -> str:
    """Return a one-row file: the synthetic history's header and its 2024 Daytona winner."""
    lines = synthetic.text.splitlines()
    return lines[0] + "\n" + lines[synthetic.lines["2024-1-1"] - 1] + "\n"
