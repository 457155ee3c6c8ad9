"""Pagers (◀ ▶) that keep nothing per message: what they page through and the page shown travel in the buttons.

Each button's custom_id carries the asker, the time the buttons expire, the page it shows and the ids the command
was answered with (a race, a series, a season...). discord.py rebuilds the button from the custom_id of whatever
message is pressed, the button's handler builds the pages again from those ids (from the catalog, so cheaply),
and the message is edited to the page asked for. bot.ui.expiry turns the buttons off when they expire; a button
pressed after that (say, after a restart) turns itself off instead.
"""

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar, Literal, Self

import discord

from bot.errors import NotFoundError
from bot.tree import NO_MENTIONS, report_error
from bot.ui.expiry import VIEW_TIMEOUT, turn_off_later, turned_off
from bot.ui.limits import LazyPages, number_pages
from bot.ui.replies import Reply, Served, StatelessView, is_owner

Direction = Literal["p", "n"]  # the ◀ or the ▶ button
PageArgs = tuple[int | None, ...]  # what a command was answered with, as ids and numbers
CUSTOM_ID_MAX = 100  # Discord's limit


def encode_args(args: PageArgs) -> str:
    """Return args as they travel in a custom_id: '.'-separated, '-' for a missing value."""
    return ".".join("-" if value is None else str(value) for value in args)


def decode_args(text: str) -> PageArgs:
    """Return the args a custom_id carries (the inverse of encode_args)."""
    return tuple(None if part == "-" else int(part) for part in text.split(".")) if text else ()


def required_id(value: int | None) -> int:
    """Return an id a button needs, refusing a custom_id that lacks it (only a hand-made one can)."""
    if value is None:
        raise NotFoundError("Those buttons no longer match a reply; run the command again.")
    return value


def as_option(kind: str, value: int | None) -> str | None:
    """Return an id as the option value picking it from a list gives ('series:2'), or None for no value."""
    return f"{kind}:{value}" if value is not None else None


@dataclass(frozen=True, slots=True)
class PageAddress:
    """Whose pager it is, until when it works, the page it shows, and what it pages through."""

    owner_id: int
    expires: int  # Unix time
    page: int
    args: PageArgs = ()

    @classmethod
    def new(cls, owner_id: int, args: PageArgs, *, lasts: float = VIEW_TIMEOUT) -> "PageAddress":
        """Return the address of a reply's first page, its buttons working for `lasts` seconds."""
        return cls(owner_id, int(time.time() + lasts), 0, args)

    def expired(self) -> bool:
        """Return whether the buttons' time is up."""
        return time.time() >= self.expires


class PageButton(
    Served,
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"pitboard:page:(?P<source>[a-z]+):(?P<direction>[pn]):(?P<owner>[0-9]+):(?P<expires>[0-9a-f]+):"
    r"(?P<page>[0-9]+):(?P<args>[0-9.-]*)",
):
    """◀ or ▶ on a paged reply. A subclass names its source and command and builds the pages from the args."""

    source: ClassVar[str]
    command: ClassVar[str]  # named in the hint a stranger gets

    def __init_subclass__(cls, *, source: str | None = None, command: str | None = None, **kwargs: Any) -> None:
        # A class made by serving() keeps its parent's source and command.
        source, command = source or cls.source, command or cls.command
        template = (
            rf"pitboard:page:{source}:(?P<direction>[pn]):(?P<owner>[0-9]+):(?P<expires>[0-9a-f]+):"
            r"(?P<page>[0-9]+):(?P<args>[0-9.-]*)"
        )
        super().__init_subclass__(template=template, **kwargs)
        cls.source = source
        cls.command = command

    def __init__(self, direction: Direction, address: PageAddress, *, disabled: bool = False) -> None:
        custom_id = (
            f"pitboard:page:{self.source}:{direction}:{address.owner_id}:{address.expires:x}:{address.page}:"
            f"{encode_args(address.args)}"
        )
        if len(custom_id) > CUSTOM_ID_MAX:
            raise ValueError(f"a page button's custom_id is {len(custom_id)} characters long: {custom_id}")
        button: discord.ui.Button[discord.ui.View] = discord.ui.Button(
            label="◀" if direction == "p" else "▶",
            style=discord.ButtonStyle.secondary,
            custom_id=custom_id,
            disabled=disabled,
        )
        super().__init__(button)
        self.direction: Direction = direction
        self.address = address

    @property
    def label(self) -> str:
        """Return ◀ or ▶."""
        return self.item.label or ""

    @property
    def disabled(self) -> bool:
        """Return whether the button is turned off (on the first or last page, or expired)."""
        return self.item.disabled

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        """Return the button pressed, with the address its custom_id carries."""
        address = PageAddress(
            int(match["owner"]), int(match["expires"], 16), int(match["page"]), decode_args(match["args"])
        )
        return cls("p" if match["direction"] == "p" else "n", address)

    @classmethod
    async def pages(cls, interaction: discord.Interaction, args: PageArgs) -> Sequence[discord.Embed]:
        """Return the pages again, as the command built them for these args."""
        raise NotImplementedError

    @classmethod
    def extras(cls, args: PageArgs) -> Sequence[discord.ui.DynamicItem[Any]]:
        """Return the other (stateless) buttons that go under these pages."""
        return ()

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        """Let only the asker turn pages; anyone else gets a private hint."""
        return await is_owner(interaction, self.address.owner_id, self.command)

    async def callback(self, interaction: discord.Interaction) -> None:
        """Show the page before or after, or turn the buttons off when their time is up.

        discord.py only logs what a dynamic item's callback raises, so errors go down the shared path here.
        """
        try:
            if self.address.expired():
                view = turned_off(self.view)
                await interaction.response.edit_message(view=view, allowed_mentions=NO_MENTIONS)
                return
            pages = await self.pages(interaction, self.address.args)
            step = -1 if self.direction == "p" else 1
            view = PagedView(pages, type(self), replace(self.address, page=self.address.page + step))
            await interaction.response.edit_message(embed=view.current, view=view, allowed_mentions=NO_MENTIONS)
        except Exception as error:
            await report_error(interaction, error, where=f"{type(self).__name__} button")


class PagedView(StatelessView):
    """◀ ▶ under a paged reply (and the source's other buttons): discord.py keeps nothing for it."""

    def __init__(self, pages: Sequence[discord.Embed], source: type[PageButton], address: PageAddress) -> None:
        super().__init__()
        # Numbered (and fitted) as they are shown: a reply shows one page, a press another. Numbering changes the
        # embeds, so pages shared between replies (kept by the catalog) must come as LazyPages, numbered once.
        self.pages = pages if isinstance(pages, LazyPages) else LazyPages(len(pages), pages.__getitem__)
        self.source = source
        self.address = address
        self._extras = tuple(source.extras(address.args))
        self.previous, self.next = self._show(address.page)

    def _show(self, page: int) -> tuple[PageButton, PageButton]:
        self.address = replace(self.address, page=max(0, min(page, len(self.pages) - 1)))
        previous = self.source("p", self.address, disabled=self.address.page == 0)
        following = self.source("n", self.address, disabled=self.address.page >= len(self.pages) - 1)
        self.clear_items()
        for item in (previous, following, *self._extras):
            self.add_item(item)
        return previous, following

    @property
    def page(self) -> int:
        """Return the page shown (0-based)."""
        return self.address.page

    @property
    def current(self) -> discord.Embed:
        """Return the embed of the page shown."""
        return self.pages[self.address.page]

    def turn_to(self, page: int) -> discord.Embed:
        """Show page (0-based, kept within range), as pressing the buttons would, and return its embed."""
        self.previous, self.next = self._show(page)
        return self.current

    def sent(self, interaction: discord.Interaction, message_id: int | None) -> None:
        """Have the buttons turned off when they expire."""
        turn_off_later(interaction, message_id)


def paged(pages: Sequence[discord.Embed], source: type[PageButton], *, owner_id: int, args: PageArgs) -> Reply:
    """Return the first page with ◀ ▶ when there are more (and the source's other buttons either way)."""
    if len(pages) == 1:
        extras = source.extras(args)
        first = pages[0] if isinstance(pages, LazyPages) else number_pages([pages[0]])[0]
        return Reply(first, StatelessView(*extras) if extras else None)
    view = PagedView(pages, source, PageAddress.new(owner_id, args))
    return Reply(view.current, view)
