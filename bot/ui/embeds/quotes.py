"""Quotes as replies: one quote with its source, and 'Another' for the rest."""

import random
from collections.abc import Sequence

import discord

from bot.store.models import Quote
from bot.tree import NO_MENTIONS
from bot.ui.limits import DESCRIPTION_MAX, FIELD_VALUE_MAX, clip, fit, new_embed, safe_url
from bot.ui.replies import OwnedView, Reply
from bot.ui.text import NOT_RECORDED, hide


class QuoteView(OwnedView):
    """An 'Another' button that steps through matching quotes, each shown once."""

    def __init__(
        self,
        quotes: Sequence[Quote],
        *,
        owner_id: int,
        command: str = "quote",
        hidden: frozenset[int] = frozenset(),
    ) -> None:
        super().__init__(owner_id=owner_id, command=command)
        self.quotes = list(quotes)
        self.hidden = hidden  # races whose quotes are hidden until tapped (spoiler-safe mode)
        self.position = 0
        self._sync_button()

    def _sync_button(self) -> None:
        if self.position >= len(self.quotes) - 1:
            self.another.disabled = True
            self.another.label = "No more quotes" if len(self.quotes) > 1 else "Only quote"

    @property
    def current(self) -> discord.Embed:
        """Return the embed of the quote shown."""
        quote = self.quotes[self.position]
        return quote_embed(quote, self.position + 1, len(self.quotes), spoiler=quote.race_id in self.hidden)

    @discord.ui.button(label="Another", style=discord.ButtonStyle.primary)
    async def another(self, interaction: discord.Interaction, button: discord.ui.Button["QuoteView"]) -> None:
        """Show the next quote."""
        self.position = min(self.position + 1, len(self.quotes) - 1)
        self._sync_button()
        await interaction.response.edit_message(embed=self.current, view=self, allowed_mentions=NO_MENTIONS)


def quote_embed(quote: Quote, number: int, total: int, *, spoiler: bool = False) -> discord.Embed:
    """Return one quote with its speaker, role, context, race and source.

    In spoiler-safe mode the words, role and context ("Race winner", "1 down 2 to go!") are hidden until tapped.
    """

    def shown(text: str, limit: int) -> str:
        # Cut before hiding: fit() cutting a hidden text would cut its closing bars and show the rest.
        return hide(clip(text, limit - 4 - text.count("|"))) if spoiler else text

    embed = new_embed(quote.speaker, shown(f"“{quote.text}”", DESCRIPTION_MAX), url=quote.source_url)
    embed.add_field(name="Role", value=shown(quote.role, FIELD_VALUE_MAX) if quote.role else NOT_RECORDED)
    embed.add_field(name="Race", value=quote.race_label)
    context = shown(quote.context, FIELD_VALUE_MAX) if quote.context else NOT_RECORDED
    embed.add_field(name="Context", value=context, inline=False)
    url = safe_url(quote.source_url)
    embed.add_field(name="Source", value=f"[{clip(url, 200)}]({url})" if url else NOT_RECORDED, inline=False)
    footer = f"Quote {number} of {total}"
    if quote.confidence:
        footer += f" · {quote.confidence}"
    if spoiler:
        footer += " · spoiler-safe mode: tap to reveal"
    embed.set_footer(text=footer)
    return fit(embed)


def quotes_reply(
    quotes: Sequence[Quote],
    *,
    owner_id: int,
    rng: random.Random,
    command: str = "quote",
    hidden: frozenset[int] = frozenset(),
) -> Reply:
    """Return a random order of the quotes, the first shown, with 'Another' when there are more.

    Quotes about the races in hidden (held back for spoilers) are hidden until tapped.
    """
    order = list(quotes)
    rng.shuffle(order)
    view = QuoteView(order, owner_id=owner_id, command=command, hidden=hidden)
    if len(order) == 1:
        return Reply(view.current)
    return Reply(view.current, view)
