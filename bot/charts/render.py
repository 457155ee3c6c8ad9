"""Drawing a chart's data as a PNG with matplotlib's Agg renderer, identically for identical data.

matplotlib is imported inside the functions only, so importing this module (and starting the bot) stays
cheap; the chart service runs draw() in a worker process. Every chart is a white card of WIDTH x HEIGHT
pixels in DejaVu Sans (bundled with matplotlib) and the Okabe-Ito colour-blind-safe palette, with a title,
a subtitle and a caption naming its data source.
"""

import io
import textwrap
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.charts.data import (
    ChartKind,
    LapsLedRow,
    Move,
    SeasonPoints,
    StagePoints,
    StandingsChart,
    StartFinish,
    names,
    surname,
)

if TYPE_CHECKING:
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.figure import Figure
    from matplotlib.text import Text
    from matplotlib.typing import RcKeyType

WIDTH, HEIGHT, DPI = 1200, 675, 100

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour-vision deficiency.
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"
BLACK = "#000000"

# A white card reads on Discord's dark and light themes alike; the text is near-black on it.
BACKGROUND = "#FFFFFF"
INK = "#1A1A1A"
MUTED = "#4D4D4D"
GRID = "#DDDDDD"
NEUTRAL = "#A6A6A6"
UNRESOLVED = "#D9D9D9"

STAGE_COLOURS = (ORANGE, PURPLE, GREEN, YELLOW)
LINE_COLOURS = (BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY_BLUE, BLACK)
LINE_STYLES = ("-", "--")

RC: dict["RcKeyType", Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 15,
    "text.color": INK,
    "axes.edgecolor": MUTED,
    "axes.labelcolor": INK,
    "axes.labelsize": 15,
    "xtick.color": INK,
    "ytick.color": INK,
    "xtick.labelsize": 14,
    "ytick.labelsize": 15,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.hashsalt": "pit-board",  # no random ids in any vector output either
    "path.simplify": True,
}

# rcParams are global to the process; one drawing at a time keeps them from mixing (the service's worker
# process draws one chart at a time anyway).
_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class Spec:
    """Everything one picture shows: its words and its prepared data."""

    kind: ChartKind
    title: str
    subtitle: str
    caption: str
    data: tuple[LapsLedRow, ...] | StartFinish | StagePoints | SeasonPoints | StandingsChart
    laps: int | None = None  # the race's laps, for the leader's 'of N laps'


PALETTE = 64  # colours in the PNG sent: the chart's own and enough shades for smooth edges


def draw(spec: Spec) -> bytes:
    """Return the chart as PNG bytes: the same bytes whenever the spec is the same."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with _LOCK, matplotlib.rc_context(RC):
        figure = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI, facecolor=BACKGROUND)
        canvas = FigureCanvasAgg(figure)
        _frame(figure, canvas.get_renderer(), spec)
        _DRAWERS[spec.kind](figure, spec)
        drawn = io.BytesIO()
        figure.savefig(drawn, format="png", dpi=DPI, facecolor=BACKGROUND)
    return _palette_png(drawn)


def _palette_png(drawn: io.BytesIO) -> bytes:
    """Return the drawing as a PNG of at most PALETTE colours: a quarter of the bytes, the same to the eye.

    A chart is a few flat colours plus their anti-aliased edges; every fan who asks downloads it, and the bot
    uploads it with every reply. Median cut without dithering is deterministic, and the file carries no text
    chunk or date, so the bytes depend on the data alone.
    """
    from PIL import Image

    drawn.seek(0)
    with Image.open(drawn) as image:
        palette = image.convert("RGB").quantize(PALETTE, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    palette.save(out, format="PNG", optimize=True)
    return out.getvalue()


# --- the card every chart shares -----------------------------------------------------------------------------


def _frame(figure: "Figure", renderer: "RendererAgg", spec: Spec) -> None:
    title = figure.text(0.025, 0.955, spec.title, fontsize=24, fontweight="bold", va="top")
    subtitle = figure.text(0.025, 0.885, spec.subtitle, fontsize=15, color=MUTED, va="top")
    _fit(renderer, title, smallest=18)
    _fit(renderer, subtitle, smallest=13)
    caption = textwrap.fill(spec.caption, 112)
    figure.text(0.025, 0.02, caption, fontsize=12, color=MUTED, va="bottom")
    figure.text(0.975, 0.02, "Pit Board", fontsize=12, color=MUTED, va="bottom", ha="right", fontweight="bold")


def _fit(renderer: "RendererAgg", text: "Text", *, smallest: float) -> None:
    """Shrink a line of text to fit the card's width, down to smallest points, then cut it with an ellipsis."""
    room = WIDTH * 0.95
    size = float(text.get_fontsize())
    while text.get_window_extent(renderer).width > room and size > smallest:
        size -= 1
        text.set_fontsize(size)
    words = text.get_text()
    while text.get_window_extent(renderer).width > room and len(words) > 1:
        words = words[:-2].rstrip() + "\u2026"
        text.set_text(words)


def _short(driver: str, limit: int) -> str:
    """Return the driver's name, or 'A. Perez de Lara' when the whole name would not fit in limit characters."""
    if len(driver) <= limit:
        return driver
    short = f"{driver[0]}. {surname(driver)}"
    return short if len(short) <= limit else short[: limit - 1] + "\u2026"


def _spread(wanted: Sequence[float], gap: float, low: float, high: float) -> list[float]:
    """Return label positions as close to wanted as possible, at least gap apart, within low..high."""
    order = sorted(range(len(wanted)), key=lambda i: (wanted[i], -i))  # ties: the first listed on top
    placed = [wanted[i] for i in order]
    for i in range(len(placed)):
        placed[i] = max(placed[i], low if i == 0 else placed[i - 1] + gap)
    for i in reversed(range(len(placed))):
        placed[i] = min(placed[i], high if i == len(placed) - 1 else placed[i + 1] - gap)
    result = [0.0] * len(wanted)
    for slot, i in enumerate(order):
        result[i] = placed[slot]
    return result


# --- laps led ------------------------------------------------------------------------------------------------


def _stage_words(stages: Sequence[int]) -> str:
    return ("won Stage " if len(stages) == 1 else "won Stages ") + names([str(s) for s in stages])


def _laps_led(figure: "Figure", spec: Spec) -> None:
    rows = spec.data
    assert isinstance(rows, tuple)  # the service pairs LAPS_LED with laps_led_data's rows
    ax = figure.add_axes((0.26, 0.12, 0.71, 0.68))
    positions = list(range(len(rows)))
    colours = [ORANGE if row.race_winner else BLUE for row in rows]
    ax.barh(positions, [row.laps_led for row in rows], color=colours, height=0.62, zorder=2)
    names_at = 16 if len(rows) <= 8 else 14
    ax.set_yticks(positions, [f"#{row.car} {_short(row.driver, 18)}" for row in rows], fontsize=names_at)
    ax.set_ylim(max(len(rows), 4) - 0.5, -0.5)  # top down; one or two leaders keep bars of normal size
    most = max(row.laps_led for row in rows)
    ax.set_xlim(0, most * (1.45 if len(rows) <= 6 else 1.7))
    ax.set_xticks([])  # every bar carries its number, so an axis would only repeat it
    ax.tick_params(axis="y", length=0)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    roomy = len(rows) <= 6  # room for the marks on a line of their own
    for y, row in zip(positions, rows, strict=True):
        marks = []
        if row.race_winner:
            marks.append("race winner")
        if row.stage_wins:
            marks.append(_stage_words(row.stage_wins))
        number = str(row.laps_led)
        if y == 0:
            number += f" of {spec.laps} laps" if spec.laps else " laps"
        x = row.laps_led + most * 0.02
        if roomy:
            ax.text(x, y, number, va="bottom" if marks else "center", fontsize=17, fontweight="bold")
            if marks:
                lines = "\n".join(mark[0].upper() + mark[1:] for mark in marks)
                ax.text(x, y, lines, va="top", fontsize=15)
        else:
            ax.text(x, y, number + (f" \u00b7 {', '.join(marks)}" if marks else ""), va="center", fontsize=15)


# --- start to finish -----------------------------------------------------------------------------------------


def _start_finish(figure: "Figure", spec: Spec) -> None:
    data = spec.data
    assert isinstance(data, StartFinish)  # the service pairs START_FINISH with start_finish_data
    ax = figure.add_axes((0.07, 0.08, 0.40, 0.63))
    field = max(max(m.start for m in data.moves), max(m.finish for m in data.moves))
    named = list(dict.fromkeys(m for m in (data.winner, data.biggest_gain, data.biggest_drop) if m is not None))
    for move in data.moves:
        if move not in named:
            ax.plot([0, 1], [move.start, move.finish], color=_move_colour(move), lw=1.8, alpha=0.6, marker="o", ms=4)
    for move in named:
        ax.plot([0, 1], [move.start, move.finish], color=_move_colour(move), lw=5, marker="o", ms=9, zorder=4)
    ax.set_xlim(-0.03, 1.03)
    ax.set_ylim(field + 0.8, 0.2)
    ticks = sorted({1, *range(5, field + 1, 5), field})
    ax.set_yticks(ticks, [str(t) for t in ticks], fontsize=14, color=MUTED)
    ax.set_xticks([0, 1], ["Start", "Finish"], fontsize=17, fontweight="bold")
    ax.xaxis.set_ticks_position("top")
    ax.tick_params(axis="both", length=0)
    for side in ("left", "bottom", "top", "right"):
        ax.spines[side].set_visible(False)
    # Name the winner and the biggest movers beside the finish column, spread so no two labels overlap.
    labels = [(move, _move_label(move, data)) for move in named]
    gap = field * 0.15
    spots = _spread([float(m.finish) for m, _ in labels], gap=gap, low=gap * 0.5, high=field - gap * 0.3)
    for (move, text), y in zip(labels, spots, strict=True):
        ax.annotate(
            text,
            xy=(1, move.finish),
            xytext=(1.1, y),
            va="center",
            fontsize=16,
            annotation_clip=False,
            arrowprops={"arrowstyle": "-", "color": _move_colour(move), "lw": 2},
            bbox={"boxstyle": "round,pad=0.35", "fc": BACKGROUND, "ec": _move_colour(move), "lw": 2.5},
        )
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], color=BLUE, lw=5, label=f"Gained places ({data.gainers})"),
        Line2D([], [], color=VERMILLION, lw=5, label=f"Lost places ({data.losers})"),
        Line2D([], [], color=NEUTRAL, lw=5, label=f"Same place ({data.unchanged})"),
    ]
    figure.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.015, 0.85), ncols=3, frameon=False, fontsize=15)


def _move_colour(move: Move) -> str:
    return BLUE if move.gained > 0 else VERMILLION if move.gained < 0 else NEUTRAL


def _move_label(move: Move, data: StartFinish) -> str:
    """Return 'Jake Garcia · biggest gain' over '20th → 7th (+13)'."""
    roles = []
    if move == data.winner:
        roles.append("winner")
    if move == data.biggest_gain:
        roles.append("biggest gain")
    if move == data.biggest_drop:
        roles.append("biggest drop")
    change = f"+{move.gained}" if move.gained > 0 else f"\u2212{-move.gained}" if move.gained < 0 else "\u00b10"
    return f"{move.driver} · {' and '.join(roles)}\n{move.text} ({change})"


# --- stage and finish points ---------------------------------------------------------------------------------


def _ink_on(colour: str) -> str:
    return "#FFFFFF" if colour in (BLUE, VERMILLION, BLACK, GREEN) else INK


def _stage_points(figure: "Figure", spec: Spec) -> None:
    data = spec.data
    assert isinstance(data, StagePoints)  # the service pairs STAGE_POINTS with stage_points_data
    ax = figure.add_axes((0.175, 0.17, 0.54, 0.58))
    rows = data.rows
    positions = list(range(len(rows)))
    most = max(row.total for row in rows)
    segments: list[tuple[str, str, str | None, list[int]]] = [
        (f"Stage {n}", STAGE_COLOURS[i % len(STAGE_COLOURS)], None, [row.stages[i] for row in rows])
        for i, n in enumerate(data.stage_numbers)
    ]
    if any(row.unresolved for row in rows):
        segments.append(("Stage points, stage unresolved", UNRESOLVED, "///", [row.unresolved for row in rows]))
    segments.append(("Finish", BLUE, None, [row.finish_points for row in rows]))
    left = [0] * len(rows)
    for label, colour, hatch, values in segments:
        ax.barh(
            positions, values, left=left, color=colour, hatch=hatch, edgecolor=BACKGROUND if hatch is None else MUTED,
            linewidth=1, height=0.72, label=label, zorder=2,
        )  # fmt: skip
        for y, (start, value) in enumerate(zip(left, values, strict=True)):
            if value >= most * 0.06:
                plate = {"boxstyle": "square,pad=0.1", "fc": colour, "ec": "none"} if hatch else None
                ax.text(
                    start + value / 2, y, str(value), ha="center", va="center", fontsize=12.5,
                    color=_ink_on(colour), bbox=plate,
                )  # fmt: skip
        left = [a + b for a, b in zip(left, values, strict=True)]
    for y, row in enumerate(rows):
        ax.text(row.total + most * 0.015, y, str(row.total), va="center", fontsize=15, fontweight="bold")
    ax.set_yticks(positions, [_short(row.driver, 17) for row in rows], fontsize=14)
    ax.invert_yaxis()
    ax.set_xlim(0, most * 1.1)
    ax.grid(axis="x", color=GRID, zorder=0)
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    figure.legend(
        loc="upper left", bbox_to_anchor=(0.015, 0.85), ncols=len(segments), frameon=False, fontsize=14,
        handles=ax.get_legend_handles_labels()[0],
    )  # fmt: skip
    notes = []
    if data.unresolved:
        notes += ["Stage positions not resolved", "(hatched, never guessed):"]
        notes += [_bullet(group.text) for group in data.unresolved]
    if data.ineligible:
        notes += ["Not eligible for points:", _bullet(names(list(data.ineligible)))]
    if notes:
        figure.text(
            0.74, 0.75, "\n".join(notes), ha="left", va="top", fontsize=13, linespacing=1.4,
            bbox={"boxstyle": "round,pad=0.6", "fc": "#F2F2F2", "ec": NEUTRAL},
        )  # fmt: skip


def _bullet(text: str) -> str:
    return textwrap.fill(text, 30, initial_indent="\u2022 ", subsequent_indent="   ")


# --- points after each race ----------------------------------------------------------------------------------


def _season_points(figure: "Figure", spec: Spec) -> None:
    data = spec.data
    assert isinstance(data, SeasonPoints)  # the service pairs SEASON_POINTS with season_points_data
    ax = figure.add_axes((0.08, 0.21, 0.66, 0.60))
    xs = list(range(len(data.races)))
    top = max(line.totals[-1] for line in data.lines)
    for i, line in enumerate(data.lines):
        colour = LINE_COLOURS[i % len(LINE_COLOURS)]
        style = LINE_STYLES[(i // len(LINE_COLOURS)) % len(LINE_STYLES)]
        ax.plot(xs, line.totals, color=colour, ls=style, lw=2.6, marker="o", ms=6, zorder=3 + len(data.lines) - i)
    spots = _spread([float(line.totals[-1]) for line in data.lines], gap=top * 0.075, low=0.0, high=top * 1.04)
    offset = 0.05 + 0.04 * max(len(xs) - 1, 1)
    for i, (line, y) in enumerate(zip(data.lines, spots, strict=True)):
        colour = LINE_COLOURS[i % len(LINE_COLOURS)]
        # Connectors under the labels, so a connector that crosses another label is hidden by it.
        ax.plot([xs[-1], xs[-1] + offset], [line.totals[-1], y], color=colour, lw=1.2, clip_on=False, zorder=2)
        ax.text(
            xs[-1] + offset, y, f"{i + 1}. {surname(line.driver)} {line.totals[-1]}", va="center", fontsize=14,
            clip_on=False, zorder=20, bbox={"boxstyle": "round,pad=0.2", "fc": BACKGROUND, "ec": colour, "lw": 2},
        )  # fmt: skip
    ax.set_xticks(xs, [label.replace(" ", "\n", 1) for label in data.races] if len(xs) <= 8 else data.races)
    if len(xs) > 8:
        ax.tick_params(axis="x", labelrotation=45)
    ax.set_xlim(-0.25, len(xs) - 0.75)
    ax.set_ylim(0, top * 1.08)
    ax.set_ylabel("Points")
    ax.grid(axis="y", color=GRID, zorder=0)


# --- the official standings ----------------------------------------------------------------------------------


def _standings(figure: "Figure", spec: Spec) -> None:
    data = spec.data
    assert isinstance(data, StandingsChart)  # the service pairs STANDINGS with standings_chart_data
    ax = figure.add_axes((0.25, 0.12, 0.62, 0.68))
    bars = data.bars
    positions = list(range(len(bars)))
    colours = [ORANGE if bar.position == 1 else BLUE for bar in bars]
    ax.barh(positions, [bar.points for bar in bars], color=colours, height=0.66, zorder=2)
    labels = [f"{bar.position}. " + (f"#{bar.car} " if bar.car else "") + _short(bar.driver, 18) for bar in bars]
    ax.set_yticks(positions, labels, fontsize=14 if len(bars) <= 10 else 12)
    ax.set_ylim(max(len(bars), 4) - 0.5, -0.5)
    most = max((bar.points for bar in bars), default=1) or 1
    ax.set_xlim(0, most * 1.35)
    ax.set_xticks([])
    ax.tick_params(axis="y", length=0)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    for y, bar in enumerate(bars):
        gap = "leader" if bar.position == 1 else f"\u2212{bar.gap_leader}"
        wins = f" \u00b7 {bar.wins} win{'s' if bar.wins != 1 else ''}" if bar.wins else ""
        ax.text(bar.points + most * 0.015, y, f"{bar.points} ({gap}){wins}", va="center", fontsize=13)


_DRAWERS: dict[ChartKind, Callable[["Figure", Spec], None]] = {
    ChartKind.LAPS_LED: _laps_led,
    ChartKind.START_FINISH: _start_finish,
    ChartKind.STAGE_POINTS: _stage_points,
    ChartKind.SEASON_POINTS: _season_points,
    ChartKind.STANDINGS: _standings,
}

__all__ = ["HEIGHT", "WIDTH", "Spec", "draw"]
