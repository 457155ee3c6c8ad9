"""Discord's limits, and fitting embeds, choices and pages within them."""

from collections.abc import Callable, Iterable, Sequence
from typing import overload

import discord
from discord import app_commands

# Discord's limits for one message's embed and for autocomplete choices.
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
EMBED_TOTAL_MAX = 6000
URL_MAX = 2048
CHOICES_MAX = 25
CHOICE_NAME_MAX = 100
CHOICE_VALUE_MAX = 100

PAGE_SIZE = 10
COLOUR = discord.Colour(0xE8112D)


def clip(text: str, limit: int) -> str:
    """Return text cut to at most limit characters, at a line or word boundary, ending in '…' when cut."""
    if len(text) <= limit:
        return text
    room = limit - 1
    cut = text.rfind("\n", 0, room)
    if cut < room // 2:
        cut = text.rfind(" ", 0, room)
    if cut <= 0:
        cut = room
    kept = text[:cut].rstrip()
    # An odd run of backslashes at the end means the last one escaped a character that was cut off (text escaped by
    # bot.ui.text.plain): left there, it would escape the '…' in Discord and show as itself where nothing is parsed.
    if (len(kept) - len(kept.rstrip("\\"))) % 2:
        kept = kept[:-1].rstrip()
    return kept + "…"


def safe_url(url: str | None) -> str | None:
    """Return url if Discord will accept it as a link, else None."""
    if url and url.startswith(("https://", "http://")) and len(url) <= URL_MAX and not any(c.isspace() for c in url):
        return url
    return None


def new_embed(title: str, description: str = "", *, url: str | None = None) -> discord.Embed:
    """Return an embed in Pit Board's colour."""
    return discord.Embed(title=title, description=description or None, colour=COLOUR, url=safe_url(url))


def fit(embed: discord.Embed) -> discord.Embed:
    """Cut an embed's parts to Discord's limits (and its total to 6000 characters), so Discord never rejects it."""
    if embed.title:
        embed.title = clip(embed.title, TITLE_MAX)
    if embed.description:
        embed.description = clip(embed.description, DESCRIPTION_MAX)
    fields = [(f.name or "\u200b", f.value or "\u200b", bool(f.inline)) for f in embed.fields][:FIELDS_MAX]
    embed.clear_fields()
    for name, value, inline in fields:
        embed.add_field(name=clip(name, FIELD_NAME_MAX), value=clip(value, FIELD_VALUE_MAX), inline=inline)
    if embed.footer.text:
        embed.set_footer(text=clip(embed.footer.text, FOOTER_MAX))
    excess = len(embed) - EMBED_TOTAL_MAX
    if excess > 0 and embed.description:
        embed.description = clip(embed.description, max(len(embed.description) - excess, 1))
    while len(embed) > EMBED_TOTAL_MAX and embed.fields:
        embed.remove_field(len(embed.fields) - 1)
    return embed


def choices(pairs: Iterable[tuple[str, str]]) -> list[app_commands.Choice[str]]:
    """Return autocomplete choices within Discord's limits (25 choices, names and values of 100)."""
    return [
        app_commands.Choice(name=clip(name, CHOICE_NAME_MAX), value=value[:CHOICE_VALUE_MAX])
        for name, value in list(pairs)[:CHOICES_MAX]
    ]


def pages_of(lines: Sequence[str], size: int = PAGE_SIZE) -> list[list[str]]:
    """Split lines into pages of size lines (one empty page when there are none)."""
    return [list(lines[i : i + size]) for i in range(0, len(lines), size)] or [[]]


def _numbered(embed: discord.Embed, number: int, total: int) -> discord.Embed:
    """Add 'page number/total' to the embed's footer when there is more than one page, then fit it."""
    if total > 1:
        footer = embed.footer.text
        embed.set_footer(text=f"{footer} · page {number}/{total}" if footer else f"page {number}/{total}")
    return fit(embed)


def number_pages(embeds: list[discord.Embed]) -> list[discord.Embed]:
    """Add 'page i/n' to each embed's footer when there is more than one, then fit each."""
    return [_numbered(embed, number, len(embeds)) for number, embed in enumerate(embeds, start=1)]


class LazyPages(Sequence[discord.Embed]):
    """Numbered pages built the first time they are shown, then kept.

    With a long history a list runs to hundreds of pages of which a fan turns one or two: only those are written.
    """

    def __init__(self, count: int, build: Callable[[int], discord.Embed]) -> None:
        self._count = max(count, 1)  # an empty list is one page saying so
        self._build = build  # 0-based page number -> its embed, unnumbered
        self._built: dict[int, discord.Embed] = {}

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> discord.Embed: ...
    @overload
    def __getitem__(self, index: slice) -> list[discord.Embed]: ...
    def __getitem__(self, index: int | slice) -> discord.Embed | list[discord.Embed]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._count))]
        number = index + self._count if index < 0 else index
        if not 0 <= number < self._count:
            raise IndexError(index)
        embed = self._built.get(number)
        if embed is None:
            embed = self._built[number] = _numbered(self._build(number), number + 1, self._count)
        return embed
