"""The benchmark's table: what was measured, on which machine and commit, and which targets were met."""

import datetime as dt
import math
import os
import platform
import sqlite3
import subprocess
from collections.abc import Callable, Iterable
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from bench.cluster import (
    CHANNELS,
    CLUSTER,
    CLUSTER_ONE_ASKED,
    IDLE_SECONDS,
    MANY_SHARDS,
    POSTGRES,
    SQLITE,
    RowFigures,
    ScaleOutPhase,
    Setup,
    StartFigures,
)
from bench.measure import Sample
from bot.config import PROJECT_ROOT

if TYPE_CHECKING:
    from bench.run import Budget, LoadResult, Phase, RefreshPart, RefreshPhase, RefreshRun, RowResult
    from bench.workload import Row

BEGIN = "<!-- bench:begin (written by `make bench`; edit outside these markers) -->"
END = "<!-- bench:end -->"
MB = 1024 * 1024
X = "\N{MULTIPLICATION SIGN}"

# The targets (2-core machine).
P50_SHIPPED = 1.3
P50_SCALE = 1.5
P99_LIMIT = 2.0
THROUGHPUT_64 = 0.8
AUTOCOMPLETE_P99_MS = 20.0
IMPORT_ROWS_PER_S = 50_000
COLD_START_S = 1.5
RSS_MB = 150
REFRESH_P99 = 1.5  # a fan command's p99 during a Cup refresh, over its own p99 idle (issue 15)
CLUSTER_CPU = 1.1  # two processes' CPU per interaction, over one process's (issue 17)
POSTGRES_P50 = 1.5  # a moderator command's p50 with PostgreSQL, over its p50 with SQLite alone (issue 17)
CLUSTER_THROUGHPUT = 1.7  # two processes' throughput at 64 in flight over one's: expected from this many cores
THROUGHPUT_CORES = 4


def machine() -> str:
    """Return the processor, cores, memory, OS and versions the run used."""
    cpu = "unknown processor"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory = next(
            int(line.split()[1]) * 1024
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal:")
        )
    except (OSError, StopIteration):
        memory = 0
    versions = ", ".join(
        f"{name} {metadata.version(name)}" for name in ("discord.py", "aiohttp", "aiosqlite") if _installed(name)
    )
    return (
        f"{cpu}, {os.cpu_count()} cores, {memory / 2**30:.0f} GiB; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, {versions}, SQLite {sqlite3.sqlite_version}"
    )


def _installed(name: str) -> bool:
    try:
        metadata.version(name)
    except metadata.PackageNotFoundError:
        return False
    return True


def commit() -> str:
    """Return the commit measured, marked when the work tree had changes on top of it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],  # noqa: S607 - git from PATH
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],  # noqa: S607 - git from PATH
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"{head} with uncommitted changes" if dirty else head


def _ms(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    return f"{value:.1f}" if value < 100 else f"{value:,.0f}"


def _ratio(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.2f}{X}"


def _per_second(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:,.0f}"


def ratios(result: "RowResult", level: int) -> tuple[float, float, float]:
    """Return (p50, p99, throughput) of a row over the floor measured beside it, at one number in flight."""
    row, floor = result.levels[level], result.floors[level]
    return (
        row.percentile(50) / floor.percentile(50),
        row.percentile(99) / floor.percentile(99),
        row.throughput / floor.throughput,
    )


def cpu_ratio(result: "RowResult", level: int = 64) -> float:
    """Return the bot's CPU time per interaction of a row over the floor's measured beside it."""
    return result.levels[level].cpu_ms() / result.floors[level].cpu_ms()


def _cpu(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.2f}"


def progress_line(result: "RowResult") -> str:
    """Return one line for the terminal while the run goes on."""
    one, at64 = result.levels[1], result.levels[64]
    p50, p99, _ = ratios(result, 1)
    return (
        f"{result.row.label:<42} N={one.n:<4} p50 {_ms(one.percentile(50)):>6} ms ({_ratio(p50)})  "
        f"p99 {_ms(one.percentile(99)):>6} ms ({_ratio(p99)})  "
        f"@64 {_per_second(at64.throughput):>6}/s ({_ratio(ratios(result, 64)[2])})  "
        f"CPU/interaction @64 bot {_cpu(at64.cpu_ms())} ms (floor {_cpu(result.floors[64].cpu_ms())}), "
        f"bench {_cpu(at64.cpu_ms(bot=False))} ms (floor {_cpu(result.floors[64].cpu_ms(bot=False))})"
        + (f"  ERRORS {len(one.errors)}" if one.errors else "")
    )


def _pooled(samples: Iterable[Sample]) -> Sample:
    pooled = Sample([], 0.0)
    for sample in samples:
        pooled = pooled.merged(sample)
    return pooled


def _table(phase: "Phase") -> list[str]:
    lines = [
        f"| what | N | p50 ms | p99 ms | p50 {X} floor | p99 {X} floor | p50 ms @16 | p99 ms @16 | /s @16 "
        f"| p50 ms @64 | p99 ms @64 | /s @64 | /s @64 {X} floor | bot CPU ms @64 | bot CPU {X} floor "
        "| bench CPU ms @64 |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for autocomplete in (False, True):
        results = [r for r in phase.rows if r.row.autocomplete == autocomplete]
        if not results:
            continue
        label = "floor: /noop autocomplete (pooled)" if autocomplete else "floor: /noop (pooled)"
        floors = {level: _pooled(r.floors[level] for r in results) for level in (1, 16, 64)}
        lines.append(
            f"| **{label}** | {floors[1].n} | {_ms(floors[1].percentile(50))} | {_ms(floors[1].percentile(99))} "
            f"| 1{X} | 1{X} | {_ms(floors[16].percentile(50))} | {_ms(floors[16].percentile(99))} "
            f"| {_per_second(floors[16].throughput)} | {_ms(floors[64].percentile(50))} "
            f"| {_ms(floors[64].percentile(99))} | {_per_second(floors[64].throughput)} | 1{X} "
            f"| {_cpu(floors[64].cpu_ms())} | 1{X} | {_cpu(floors[64].cpu_ms(bot=False))} |"
        )
        for result in results:
            one, at16, at64 = (result.levels[level] for level in (1, 16, 64))
            p50, p99, _ = ratios(result, 1)
            n = f"{one.n}/{at16.n}/{at64.n}"
            errors = sum(len(s.errors) for s in result.levels.values())
            lines.append(
                f"| {result.row.label}{f' ({errors} errors)' if errors else ''} | {n} "
                f"| {_ms(one.percentile(50))} | {_ms(one.percentile(99))} | {_ratio(p50)} | {_ratio(p99)} "
                f"| {_ms(at16.percentile(50))} | {_ms(at16.percentile(99))} | {_per_second(at16.throughput)} "
                f"| {_ms(at64.percentile(50))} | {_ms(at64.percentile(99))} | {_per_second(at64.throughput)} "
                f"| {_ratio(ratios(result, 64)[2])} | {_cpu(at64.cpu_ms())} | {_ratio(cpu_ratio(result))} "
                f"| {_cpu(at64.cpu_ms(bot=False))} |"
            )
    return lines


def _quiet(row: str, quiet: "LoadResult") -> Sample | None:
    return next((sample for r, sample in quiet.rows if r.label == row), None)


def load_lines(result: "LoadResult", quiet: "LoadResult") -> list[str]:
    """Return the terminal lines for one load: each row's p50 and p99 against the same row measured quiet."""
    lines = [f"-- {result.label}" + (f": {_background(result)}" if result.background is not None else "")]
    for row, sample in result.rows:
        before = _quiet(row.label, quiet)
        p99 = sample.percentile(99) / before.percentile(99) if before else math.nan
        lines.append(
            f"   {row.label:<40} N={sample.n:<4} p50 {_ms(sample.percentile(50)):>6} ms  "
            f"p99 {_ms(sample.percentile(99)):>6} ms ({_ratio(p99)} quiet)"
            + (f"  ERRORS {len(sample.errors)}" if sample.errors else "")
        )
    return lines


def _background(result: "LoadResult") -> str:
    load, sample = result.load, result.background
    assert load is not None and sample is not None  # only loads have a background
    refused = f", {len(sample.errors)} answered with an error" if sample.errors else ""
    cpu = ""
    if sample.elapsed:  # how busy each process was: the machine has two cores for the bot and the benchmark
        cpu = f"; CPU: bot {sample.bot_cpu / sample.elapsed:.0%}, benchmark {sample.bench_cpu / sample.elapsed:.0%}"
    return (
        f"{load.in_flight} in flight, {sample.n:,} answered ({_per_second(sample.throughput)}/s, "
        f"p50 {_ms(sample.percentile(50))} ms){refused}{cpu}"
    )


def _under_load(phase: "Phase") -> list[str]:
    if not phase.under_load:
        return []
    quiet = phase.under_load[0]
    lines = [
        "#### Other members' commands while others load the bot",
        "",
        "Each command below one at a time, in turn with the floor so all see the same moments, for at least four "
        "times a row's time budget: first with nothing else going on, then while other members keep a load going, "
        "a new request as soon as one is answered, each from a different member (so no per-member limit applies).",
        "",
    ]
    for result in phase.under_load[1:]:
        assert result.load is not None  # only the first is quiet
        lines.append(f"- *{result.label}*: {result.load.about}; {_background(result)}.")
    lines += [f"- {note}" for note in phase.load_notes]
    lines += [
        "",
        f"| while | what | N | p50 ms | p99 ms | p50 {X} quiet | p99 {X} quiet | p99 {X} floor beside it |",
        "|---|---|--:|--:|--:|--:|--:|--:|",
    ]
    for result in phase.under_load:
        floor = result.rows[0][1]
        for row, sample in result.rows:
            before = _quiet(row.label, quiet)
            p50 = sample.percentile(50) / before.percentile(50) if before else math.nan
            p99 = sample.percentile(99) / before.percentile(99) if before else math.nan
            errors = f" ({len(sample.errors)} errors)" if sample.errors else ""
            lines.append(
                f"| {result.label} | {row.label}{errors} | {sample.n} | {_ms(sample.percentile(50))} "
                f"| {_ms(sample.percentile(99))} | {_ratio(p50)} | {_ratio(p99)} "
                f"| {_ratio(sample.percentile(99) / floor.percentile(99))} |"
            )
    return [*lines, ""]


def _phase(phase: "Phase") -> list[str]:
    shape = phase.shape
    lines = [
        f"### {phase.name}",
        "",
        f"{shape.races:,} races, {shape.results:,} results, {shape.drivers:,} drivers, {shape.tracks:,} tracks; "
        f"database {phase.database_bytes / MB:,.1f} MB.",
        "",
    ]
    if phase.imports:  # absent when a kept --workdir database was reused
        total_rows = sum(run.rows for run in phase.imports)
        total_seconds = sum(run.seconds for run in phase.imports)
        parts = ", ".join(
            f"{run.series} {run.rows:,} rows in {run.seconds:.2f} s ({run.rows / run.seconds:,.0f}/s)"
            for run in phase.imports
        )
        startup = phase.imports[0].startup
        inside = total_seconds - startup * len(phase.imports)
        lines += [
            f"Import (`python -m bot import nascar-data`, whole process, one per file): {parts}; "
            f"**{total_rows / total_seconds:,.0f} rows/s** overall. Each process spends about {startup:.2f} s "
            f"starting (`python -m bot --help` takes that long): {total_rows / inside:,.0f} rows/s without it.",
            "",
        ]
    cold = phase.cold
    worker = f"; chart worker process {phase.worker_rss / MB:.0f} MB" if phase.worker_rss else ""
    lines += [
        f"Start (a restart; the very first start, which seeds and syncs commands, took {phase.first_start:.2f} s to "
        f"'Ready as'): identify {cold.identify:.2f} s, gateway READY + GUILD_CREATE sent {cold.guilds_sent:.2f} s, "
        f"**first interaction answered {cold.first_answer:.2f} s**, 'Ready as' logged {cold.ready_logged:.2f} s. "
        f"First fan command after start (builds the search index): {cold.first_fan_command * 1000:,.0f} ms.",
        "",
        f"Resident memory of the bot process: {_mb(phase.ready_rss)} once started (index built), "
        f"**{_mb(phase.peak_rss)} at its peak** (VmHWM, read after every row below ran: "
        f"{sum(r.levels[level].n + r.floors[level].n for r in phase.rows for level in r.levels):,} interactions "
        f"within the 10 minutes a reply's buttons stay live){worker}.",
        "",
        *_table(phase),
        "",
        *_under_load(phase),
    ]
    if phase.problems:
        lines += ["Errors the bot logged:", "", "```", *phase.problems[:20], "```", ""]
    return lines


def _mb(value: int | None) -> str:
    return "unknown" if value is None else f"{value / MB:,.0f} MB"


def _worst(results: list["RowResult"], pick: int, level: int, *, highest: bool = True) -> tuple[float, str]:
    scored = [(ratios(r, level)[pick], r.row.label) for r in results] or [(math.nan, "no rows")]
    return max(scored) if highest else min(scored)


def _worst_under_load(result: "LoadResult", quiet: "LoadResult") -> tuple[float, str]:
    scored = []
    for row, sample in result.rows[1:]:  # the fan commands; the floor first is there to show how all slowed
        before = _quiet(row.label, quiet)
        if before is not None:
            scored.append((sample.percentile(99) / before.percentile(99), row.label))
    return max(scored or [(math.nan, "no rows")])


def targets(
    phases: list["Phase"], refresh: "RefreshPhase | None" = None, scale_out: ScaleOutPhase | None = None
) -> list[str]:
    """Return the targets table: each target, the measured value and whether it was met (n/a: not expected here)."""
    lines = ["| target | measured | met |", "|---|---|---|"]

    def add(target: str, measured: str, met: bool | None) -> None:
        lines.append(f"| {target} | {measured} | {'n/a' if met is None else 'yes' if met else '**no**'} |")

    for index, phase in enumerate(phases):
        limit = P50_SHIPPED if index == 0 else P50_SCALE
        worst, label = _worst(phase.rows, 0, 1)
        add(
            f"{phase.name}: p50 of every command ≤ {limit}{X} the floor",
            f"worst {worst:.2f}{X} ({label})",
            worst <= limit,
        )
        worst, label = _worst(phase.rows, 1, 1)
        limit = P99_LIMIT
        add(f"{phase.name}: p99 ≤ {limit:.0f}{X} the floor's p99", f"worst {worst:.2f}{X} ({label})", worst <= limit)
        worst, label = _worst(phase.rows, 2, 64, highest=False)
        add(
            f"{phase.name}: throughput at 64 in flight ≥ {THROUGHPUT_64}{X} the floor's",
            f"worst {worst:.2f}{X} ({label})",
            worst >= THROUGHPUT_64,
        )
        rss = (phase.peak_rss or 0) / MB
        add(f"{phase.name}: peak RSS ≤ {RSS_MB} MB", _mb(phase.peak_rss), rss <= RSS_MB)
        for result in phase.under_load[1:]:
            worst, label = _worst_under_load(result, phase.under_load[0])
            add(
                f"{phase.name}: p99 of other members' commands {result.label} ≤ {P99_LIMIT:.0f}{X} quiet",
                f"worst {worst:.2f}{X} ({label})",
                worst <= P99_LIMIT,
            )
    if len(phases) > 1:
        scale = phases[-1]
        completes = [(r.levels[1].percentile(99), r.row.label) for r in scale.rows if r.row.autocomplete]
        worst_ms, label = max(completes or [(math.nan, "no rows")])
        add(
            f"{scale.name}: autocomplete p99 < {AUTOCOMPLETE_P99_MS:.0f} ms",
            f"worst {worst_ms:.1f} ms ({label})",
            worst_ms < AUTOCOMPLETE_P99_MS,
        )
        if scale.imports:
            rate = sum(r.rows for r in scale.imports) / sum(r.seconds for r in scale.imports)
            add(f"import ≥ {IMPORT_ROWS_PER_S:,} rows/s", f"{rate:,.0f} rows/s", rate >= IMPORT_ROWS_PER_S)
        cold = scale.cold
        add(
            f"{scale.name}: cold start to READY ≤ {COLD_START_S} s",
            f"gateway READY + GUILD_CREATE {cold.guilds_sent:.2f} s, first answer {cold.first_answer:.2f} s "
            f"('Ready as' {cold.ready_logged:.2f} s)",
            cold.first_answer <= COLD_START_S,
        )
    if refresh is not None:
        _refresh_targets(refresh, add)
    if scale_out is not None:
        _scale_out_targets(scale_out, add)
    return lines


# --- during a refresh ----------------------------------------------------------------------------------------


def _during(part: "RefreshPart") -> list[tuple["Row", Sample]]:
    """Return each row's samples over every refresh of a part, pooled."""
    if not part.runs:
        return []
    pooled = [(row, Sample([], 0.0)) for row, _ in part.runs[0].rows]
    for run in part.runs:
        pooled = [(row, sample.merged(more)) for (row, sample), (_, more) in zip(pooled, run.rows, strict=True)]
    return pooled


def _is_floor(row: "Row") -> bool:
    return row.label.startswith("floor:")


def _max_ms(sample: Sample) -> float:
    return max(sample.latencies) * 1000 if sample.latencies else math.nan


def _refresh_scores(part: "RefreshPart", idle: dict[str, Sample]) -> list[tuple[float, str]]:
    """Return (p99 during / p99 idle, label) of each fan command of a part (not the floors, nor a moderator's save)."""
    scored = []
    for row, sample in _during(part):
        before = idle.get(row.label)
        if before is not None and not _is_floor(row) and not row.moderator:
            scored.append((sample.percentile(99) / before.percentile(99), row.label))
    return scored


def refresh_line(part: "RefreshPart", run: "RefreshRun") -> str:
    """Return the terminal lines for one refresh: how long it took, and each row's p99 against idle."""
    idle = _idle(part)
    lines = [
        f"-- {part.label}: the bot's refresh took {run.seconds:.2f} s (the child {run.child_seconds:.2f} s), "
        f"{run.rounds} rounds meanwhile; {'; '.join(run.merged) or 'nothing merged'}"
    ]
    for row, sample in run.rows:
        before = idle.get(row.label)
        ratio = sample.percentile(99) / before.percentile(99) if before else math.nan
        lines.append(
            f"   {row.label:<44} N={sample.n:<4} p50 {_ms(sample.percentile(50)):>6} ms  "
            f"p99 {_ms(sample.percentile(99)):>6} ms ({_ratio(ratio)} idle)  max {_ms(_max_ms(sample))} ms"
            + (f"  ERRORS {len(sample.errors)}: {sample.errors[0]}" if sample.errors else "")
        )
    return "\n".join(lines)


def _refresh_table(part: "RefreshPart", idle: dict[str, Sample]) -> list[str]:
    lines = [
        f"| what | N idle | p50 ms idle | p99 ms idle | N during | p50 ms during | p99 ms during | max ms during "
        f"| p99 {X} idle | ≤ {REFRESH_P99}{X} | p99 {X} floor beside it |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|:-:|--:|",
    ]
    during = _during(part)
    floors = {row.autocomplete: sample for row, sample in during if _is_floor(row)}
    for row, sample in during:
        before = idle.get(row.label)
        p99 = sample.percentile(99) / before.percentile(99) if before else math.nan
        floor = floors.get(row.autocomplete)
        beside = sample.percentile(99) / floor.percentile(99) if floor else math.nan
        label = f"**{row.label}**" if _is_floor(row) else row.label
        errors = f" ({len(sample.errors)} errors)" if sample.errors else ""
        met = "n/a" if math.isnan(p99) else ("yes" if p99 <= REFRESH_P99 else "**no**")
        idle_cells = (
            f"{before.n} | {_ms(before.percentile(50))} | {_ms(before.percentile(99))}" if before else "n/a | n/a | n/a"
        )
        lines.append(
            f"| {label}{errors} | {idle_cells} | {sample.n} | {_ms(sample.percentile(50))} "
            f"| {_ms(sample.percentile(99))} | {_ms(_max_ms(sample))} | {_ratio(p99)} | {met} | {_ratio(beside)} |"
        )
    return lines


def _idle(part: "RefreshPart") -> dict[str, Sample]:
    """Return each row's idle figures for a part: its own, and for a part with saves its baseline's fan commands."""
    rows = [*(part.baseline.idle if part.baseline else []), *part.idle]
    return {row.label: sample for row, sample in rows}


def _cpu_share(run: "RefreshRun") -> str:
    cpu, seconds = run.cpu, run.seconds
    return (
        f"CPU meanwhile, in cores: refresh child {cpu.reaped / seconds:.2f}, bot {cpu.bot / seconds:.2f}, "
        f"benchmark and fake Discord {cpu.bench / seconds:.2f} (of {os.cpu_count()})"
    )


def _refresh_runs(part: "RefreshPart") -> str:
    runs = []
    for run in part.runs:
        after = max(((sample.percentile(100), row.label) for row, sample in run.after), default=(math.nan, ""))
        runs.append(
            f"took **{run.seconds:.2f} s** in the bot (`python -m bot refresh` in its child process "
            f"{run.child_seconds:.2f} s: {'; '.join(run.merged) or 'nothing merged'}); {run.rounds} rounds of the "
            f"rows meanwhile; {_cpu_share(run)}; the slowest command of the round right after it "
            f"{_ms(after[0])} ms ({after[1]})"
        )
    return "; another ".join(runs) or "not run"


def _moderator(part: "RefreshPart") -> str:
    save = next((sample for row, sample in _during(part) if row.moderator), None)
    quiet = part.idle[0][1] if part.idle else None
    if save is None or quiet is None:
        return ""
    busy = [error for error in save.errors if "busy" in error.lower()]
    said = f': "{save.errors[0]}"' if save.errors else ""
    return (
        f"{MODERATOR_LABEL}: {save.n} saved during the refresh, **{len(save.errors)} failed** ({len(busy)} as "
        f"busy){said}; round trip of those saved p50 {_ms(save.percentile(50))} ms, p99 "
        f"{_ms(save.percentile(99))} ms, **longest {_ms(_max_ms(save))} ms** (idle, {quiet.n} saves alone: p50 "
        f"{_ms(quiet.percentile(50))} ms, longest {_ms(_max_ms(quiet))} ms). The fan commands of the same rounds "
        "against their idle figures above:"
    )


def _refresh(phase: "RefreshPhase") -> list[str]:
    imported = ", ".join(f"{run.series} {run.rows:,} rows" for run in phase.imports)
    lines = [
        "### During a Cup refresh",
        "",
        f"A database holding the shipped race and the synthetic histories of the other series ({imported}, imported "
        "first), and a data host on 127.0.0.1 serving the synthetic Cup history as `cup_series.csv` "
        f"({phase.cup_rows:,} rows, {phase.file_bytes / MB:.1f} MB whole). The bot, started with "
        "`EXTRA_EXTENSIONS=bench.floor,bench.refresher` and `NASCAR_DATA_URL` pointing at that host, refreshes Cup "
        "when asked (`/bench-refresh`) through its own path: `Follower.refresh_due`, i.e. `python -m bot refresh "
        "--series cup` in a child process (`ChildRefresh`) inside `catalog.steady()`, then what follows a refresh. "
        "Every row of the tables above and both floors are measured one at a time, in turn: first idle, then round "
        "after round until the refresh has answered, so N during is however many rounds it lasted. The target "
        f"(issue 15): each fan command's p99 during a refresh ≤ {REFRESH_P99}{X} its own p99 idle.",
        "",
    ]
    for part in phase.parts:
        seen = f" ({part.shape.results:,} results stored; fans see those until it is done)" if not part.saves else ""
        lines.append(f"- *{part.label}*{seen}: {part.about}; {_refresh_runs(part)}.")
    lines.append("")
    for part in phase.parts:
        lines += [f"#### {part.label[:1].upper()}{part.label[1:]}", ""]
        if part.saves:
            lines += [_moderator(part), ""]
        lines += [*_refresh_table(part, _idle(part)), ""]
    if phase.problems:
        lines += ["Errors the bot logged:", "", "```", *phase.problems[:20], "```", ""]
    return lines


MODERATOR_LABEL = "Moderator saves (`/manage settings ping-role` by the server's owner: its settings and audit log)"


def _refresh_targets(phase: "RefreshPhase", add: "Callable[[str, str, bool], None]") -> None:
    for part in phase.parts:
        scored = _refresh_scores(part, _idle(part))
        if not scored:
            continue
        worst, label = max(scored)
        missed = sum(1 for ratio, _ in scored if ratio > REFRESH_P99)
        add(
            f"During a Cup refresh ({part.label}): p99 of every fan command ≤ {REFRESH_P99}{X} its p99 idle",
            f"worst {worst:.2f}{X} ({label}); {missed} of {len(scored)} over",
            worst <= REFRESH_P99,
        )
    for part in phase.parts:
        save = next((sample for row, sample in _during(part) if row.moderator), None)
        if save is not None:
            add(
                f"A moderator's save during a refresh ({part.label}) never fails as busy",
                f"{save.n + len(save.errors)} saves, {len(save.errors)} failed, longest {_ms(_max_ms(save))} ms",
                not save.errors,
            )


def render(
    phases: list["Phase"],
    *,
    started: dt.datetime,
    finished: dt.datetime,
    budget: "Budget",
    refresh: "RefreshPhase | None" = None,
    scale_out: ScaleOutPhase | None = None,
) -> str:
    """Return the whole report as Markdown."""
    minutes = (finished - started).total_seconds() / 60
    lines = [
        "## Latest run",
        "",
        f"- Date: {started:%Y-%m-%d %H:%M} UTC ({minutes:.1f} minutes)",
        f"- Commit: {commit()}",
        f"- Machine: {machine()}",
        f"- N per row: up to {budget.n} one at a time (alternating with the floor), then at 16 and 64 in flight, "
        f"fewer for rows slower than {budget.seconds} s per batch (N column: 1/16/64); {budget.warmup} warm-up "
        "round trips per row first.",
        "",
        *[line for phase in phases for line in _phase(phase)],
        *(_refresh(refresh) if refresh is not None else []),
        *(_scale_out(scale_out) if scale_out is not None else []),
        "### Targets",
        "",
        *targets(phases, refresh, scale_out),
    ]
    return "\n".join(lines) + "\n"


# --- scale-out (issue 17) ---------------------------------------------------------------------------------


def _per(seconds: float, n: int) -> float:
    return seconds / n * 1000 if n else math.nan


def _over(a: float, b: float) -> float:
    return a / b if b and not math.isnan(b) else math.nan


def _geomean(values: Iterable[float]) -> float:
    kept = [v for v in values if v > 0 and not math.isnan(v)]
    return math.exp(sum(math.log(v) for v in kept) / len(kept)) if kept else math.nan


def _cluster_ratios(one: Setup, two: Setup) -> list[tuple[str, float, float, float]]:
    """Return per command at 64 in flight, two processes over one: (label, throughput, bot CPU, with PostgreSQL's)."""
    found = []
    for figures in one.rows:
        other = two.figures(figures.row.label)
        if other is not None:
            found.append(
                (
                    figures.row.label,
                    _over(other.busy.throughput, figures.busy.throughput),
                    _over(other.busy.cpu_ms(), figures.busy.cpu_ms()),
                    _over(_total_cpu(other), _total_cpu(figures)),
                )
            )
    return found


def _p50(figures: RowFigures | None) -> float:
    return figures.one.percentile(50) if figures is not None else math.nan


def _total_cpu(figures: RowFigures) -> float:
    """Return the CPU milliseconds per interaction at 64 in flight of every bot process and PostgreSQL."""
    return _per(sum(figures.process_cpu) + (figures.postgres_cpu or 0.0), figures.busy.n)


def _setup_line(setup: Setup) -> str:
    if setup.control:
        return f"- *{setup.label}*: {setup.about}."
    idle = " + ".join(f"{share:.1%}" for share in setup.idle_cpu) or "n/a"
    if setup.idle_postgres is not None:
        idle += f", PostgreSQL {setup.idle_postgres:.1%}"
    leader = f", a leader elected {setup.leader:.2f} s after the first spawn" if setup.leader is not None else ""
    rss = " + ".join(_mb(value) for value in setup.rss) or "unknown"
    return (
        f"- *{setup.label}*: {setup.about}. Spawn to the last 'Ready as' {setup.start:.2f} s{leader}; "
        f"asked nothing for {IDLE_SECONDS:.0f} s, each process used {idle} of a core; peak resident memory {rss}."
    )


def _spread(rates: list[float]) -> str:
    return f"{min(rates):,.0f} to {max(rates):,.0f}" if rates else "n/a"


def _scale_out_table(phase: ScaleOutPhase) -> list[str]:
    lines = [
        "| command | setup | N 1/64 | p50 ms | p99 ms | p50 ms @64 | p99 ms @64 | /s @64 (chunks) | bot CPU ms @64 "
        "| of which each process | PostgreSQL CPU ms @64 |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    labels = list(dict.fromkeys(r.row.label for s in phase.setups for r in s.rows))
    for label in labels:
        for setup in phase.setups:
            figures = setup.figures(label)
            if figures is None:
                continue
            one, busy = figures.one, figures.busy
            errors = len(one.errors) + len(busy.errors)
            each = (
                " + ".join(_cpu(_per(c, busy.n)) for c in figures.process_cpu) if len(figures.process_cpu) > 1 else ""
            )
            lines.append(
                f"| {label}{f' ({errors} errors)' if errors else ''} | {setup.label} | {one.n}/{busy.n} "
                f"| {_ms(one.percentile(50))} | {_ms(one.percentile(99))} | {_ms(busy.percentile(50))} "
                f"| {_ms(busy.percentile(99))} | {_per_second(busy.throughput)} ({_spread(figures.rates)}) "
                f"| {_cpu(busy.cpu_ms())} | {each} "
                f"| {_cpu(figures.postgres_ms())} |"
            )
    return lines


def _scale_out_ratios(phase: ScaleOutPhase) -> list[str]:
    sqlite, one, two = phase.setup(SQLITE), phase.setup(POSTGRES), phase.setup(CLUSTER)
    if one is None or two is None:
        return []
    asked = phase.setup(CLUSTER_ONE_ASKED)
    lines = [
        f"| command | p50 one process, PostgreSQL {X} SQLite | p50 two processes {X} SQLite "
        f"| /s @64 two processes {X} one | bot CPU per interaction @64 two {X} one "
        f"| bot + PostgreSQL CPU two {X} one | bot CPU two, one asked {X} one |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    ratios = _cluster_ratios(one, two)
    alone = dict((r[0], r[2]) for r in _cluster_ratios(one, asked)) if asked is not None else {}
    for label, rate, cpu, total in ratios:
        base = sqlite.figures(label) if sqlite else None
        lines.append(
            f"| {label} | {_ratio(_over(_p50(one.figures(label)), _p50(base)))} "
            f"| {_ratio(_over(_p50(two.figures(label)), _p50(base)))} | {_ratio(rate)} | {_ratio(cpu)} "
            f"| {_ratio(total)} | {_ratio(alone.get(label, math.nan))} |"
        )
    lines.append(
        f"| **geometric mean over the commands** | | | {_ratio(_geomean(r[1] for r in ratios))} "
        f"| {_ratio(_geomean(r[2] for r in ratios))} | {_ratio(_geomean(r[3] for r in ratios))} "
        f"| {_ratio(_geomean(alone.values()))} |"
    )
    return lines


def _start_rows(many: StartFigures, one: StartFigures) -> list[str]:
    extra = many.servers - one.servers
    per = extra / 1000

    def row(
        what: str, a: float | None, b: float | None, unit: str, scale: float = 1.0, *, per_1000: bool = False
    ) -> str:
        if a is None or b is None:
            return f"| {what} | n/a | n/a | n/a | n/a |"
        diff = (b - a) / scale
        each = f"{diff / per:,.2f} {unit}" if per_1000 else ""
        return f"| {what} | {a / scale:,.2f} {unit} | {b / scale:,.2f} {unit} | {diff:+,.2f} {unit} | {each} |"

    return [
        f"| | {one.servers:,} server | {many.servers:,} servers | difference | per 1,000 servers |",
        "|---|--:|--:|--:|--:|",
        row("**resident memory once ready** (VmRSS)", one.rss, many.rss, "MB", MB, per_1000=True),
        row("peak resident memory (VmHWM)", one.hwm, many.hwm, "MB", MB, per_1000=True),
        row("bot CPU, spawn to ready", one.cpu, many.cpu, "s", per_1000=True),
        row("spawn to the last shard's IDENTIFY", one.identified[-1], many.identified[-1], "s"),
        row("slowest shard: IDENTIFY to its servers taken in (a /noop answered)", one.intake, many.intake, "s"),
        row("spawn to READY and every GUILD_CREATE written", one.sent, many.sent, "s"),
        row("**spawn to 'Ready as'**", one.ready_logged, many.ready_logged, "s"),
        row("the fake's CPU meanwhile (benchmark process)", one.bench_cpu, many.bench_cpu, "s"),
    ]


def _scale_out(phase: ScaleOutPhase) -> list[str]:
    guilds = ", ".join(f"{guild_id} (shard {shard})" for guild_id, shard in phase.guilds)
    lines = [
        "### Scale-out: one process against two, and 10,000 servers",
        "",
        f"The phase took {phase.seconds:.0f} s. This machine has **{os.cpu_count()} cores**, shared by the bot "
        "process(es), PostgreSQL and the benchmark with its fake Discord. Every command comes in turn from two "
        f"servers, {guilds}, so each shard (and in the cluster each process) gets half; PostgreSQL is a throwaway "
        f"server from {phase.postgres} (tests/postgres/server.py: fsync off), a fresh database per setup.",
        "",
        *[_setup_line(setup) for setup in phase.setups],
        "",
        *_scale_out_table(phase),
        "",
        *_scale_out_ratios(phase),
        "",
    ]
    many = phase.many
    if many is not None:
        start, one = many.many, many.one
        lines += [
            f"#### {start.servers:,} servers in one process",
            "",
            f"One process (SQLite, SHARD_COUNT={MANY_SHARDS}) is sent {start.servers:,} servers, each a GUILD_CREATE "
            f"as Discord sends it to a bot with only the guilds intent: {CHANNELS} channels (2 categories, 14 text, "
            f"1 announcement, 3 voice), {many.roles} roles, only the bot's own member; "
            f"{many.payload_bytes / MB:,.1f} MB of JSON in all ({many.payload_bytes / start.servers / 1024:.1f} KB "
            "each), compressed (zlib-stream) as Discord does. Then the same process on one server. 'Ready as' said "
            f"{start.logged_servers:,} and {one.logged_servers:,} servers. Each shard identifies 5 s after the one "
            f"before (discord.py keeps Discord's spacing): IDENTIFY at "
            f"{', '.join(f'{s:.1f}' for s in start.identified)} s with {start.servers:,} servers, "
            f"{', '.join(f'{s:.1f}' for s in one.identified)} s with one.",
            "",
            *_start_rows(start, one),
            "",
        ]
    if phase.problems:
        lines += ["What did not work, or was logged as an error:", "", "```", *phase.problems[:30], "```", ""]
    return lines


def _scale_out_targets(phase: ScaleOutPhase, add: "Callable[[str, str, bool | None], None]") -> None:
    sqlite, one, two = phase.setup(SQLITE), phase.setup(POSTGRES), phase.setup(CLUSTER)
    ratios = _cluster_ratios(one, two) if one is not None and two is not None else []
    asked = phase.setup(CLUSTER_ONE_ASKED)
    if ratios:
        cpu = _geomean(r[2] for r in ratios)
        worst, label = max((r[2], r[0]) for r in ratios)
        alone = _geomean(r[2] for r in _cluster_ratios(one, asked)) if one is not None and asked is not None else None
        add(
            f"Two processes' bot CPU per interaction @64 ≤ {CLUSTER_CPU}{X} one process's (both PostgreSQL)",
            f"{_ratio(cpu)} (geometric mean over the commands); worst {_ratio(worst)} ({label})"
            + (f"; with one of the two asked everything {_ratio(alone)}" if alone is not None else ""),
            cpu <= CLUSTER_CPU,
        )
        rate = _geomean(r[1] for r in ratios)
        cores = os.cpu_count() or 1
        add(
            f"Two processes' throughput @64 ≥ {CLUSTER_THROUGHPUT}{X} one's (expected on {THROUGHPUT_CORES}+ cores)",
            f"{_ratio(rate)} on {cores} cores (geometric mean over the commands)",
            rate >= CLUSTER_THROUGHPUT if cores >= THROUGHPUT_CORES else None,
        )
    if sqlite is not None:
        for setup in (one, two):
            if setup is None:
                continue
            for figures in setup.rows:
                base = sqlite.figures(figures.row.label)
                if not figures.row.moderator or base is None:
                    continue
                ratio = _over(figures.one.percentile(50), base.one.percentile(50))
                add(
                    f"{figures.row.label}, {setup.label}: p50 ≤ {POSTGRES_P50}{X} SQLite's",
                    f"{_ratio(ratio)} ({_ms(figures.one.percentile(50))} ms against {_ms(base.one.percentile(50))} ms)",
                    ratio <= POSTGRES_P50,
                )
    if phase.many is not None:
        start, base = phase.many.many, phase.many.one
        extra = (start.servers - base.servers) / 1000
        rss = _over(((start.rss or 0) - (base.rss or 0)) / MB, extra)
        add(
            f"{start.servers:,} servers in one process ({MANY_SHARDS} shards): memory and time to READY (reported)",
            f"{rss:.1f} MB resident per 1,000 servers; 'Ready as' {start.ready_logged:.1f} s "
            f"({base.ready_logged:.1f} s with one server)",
            None,
        )


def write(path: Path, text: str) -> None:
    """Put the report between the markers of path, keeping what is written around them."""
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    block = f"{BEGIN}\n{text}{END}"
    if BEGIN in old and END in old:
        head, rest = old.split(BEGIN, 1)
        new = head + block + rest.split(END, 1)[1]
    else:
        new = (old.rstrip() + "\n\n" if old.strip() else "# Benchmark results\n\n") + block + "\n"
    path.write_text(new, encoding="utf-8")
