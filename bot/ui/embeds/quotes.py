"""Quotes as replies: one quote with its source, and 'Another' for the rest."""

import random
from collections.abc import Sequence

import discord

from bot.store.models import Quote
from bot.tree import NO_MENTIONS
from bot.ui.limits import clip, fit, new_embed, safe_url
from bot.ui.replies import OwnedView, Reply
from bot.ui.text import NOT_RECORDED


class QuoteView(OwnedView):
    """An 'Another' button that steps through matching quotes, each shown once."""

    def __init__(self, quotes: Sequence[Quote], *, owner_id: int, command: str = "quote") -> None:
        super().__init__(owner_id=owner_id, command=command)
        self.quotes = list(quotes)
        self.position = 0
        self._sync_button()

    def _sync_button(self) -> None:
        if self.position >= len(self.quotes) - 1:
            self.another.disabled = True
            self.another.label = "No more quotes" if len(self.quotes) > 1 else "Only quote"

    @property
    def current(self) -> discord.Embed:
        """Return the embed of the quote shown."""
        return quote_embed(self.quotes[self.position], self.position + 1, len(self.quotes))

    @discord.ui.button(label="Another", style=discord.ButtonStyle.primary)
    async def another(self, interaction: discord.Interaction, button: discord.ui.Button["QuoteView"]) -> None:
        """Show the next quote."""
        self.position = min(self.position + 1, len(self.quotes) - 1)
        self._sync_button()
        await interaction.response.edit_message(embed=self.current, view=self, allowed_mentions=NO_MENTIONS)


def quote_embed(quote: Quote, number: int, total: int) -> discord.Embed:
    """Return one quote with its speaker, role, context, race and source."""
    embed = new_embed(quote.speaker, f"“{quote.text}”", url=quote.source_url)
    embed.add_field(name="Role", value=quote.role or NOT_RECORDED)
    embed.add_field(name="Race", value=quote.race_label)
    embed.add_field(name="Context", value=quote.context or NOT_RECORDED, inline=False)
    url = safe_url(quote.source_url)
    embed.add_field(name="Source", value=f"[{clip(url, 200)}]({url})" if url else NOT_RECORDED, inline=False)
    footer = f"Quote {number} of {total}"
    if quote.confidence:
        footer += f" · {quote.confidence}"
    embed.set_footer(text=footer)
    return fit(embed)


def quotes_reply(quotes: Sequence[Quote], *, owner_id: int, rng: random.Random, command: str = "quote") -> Reply:
    """Return a random order of the quotes, the first shown, with 'Another' when there are more."""
    order = list(quotes)
    rng.shuffle(order)
    view = QuoteView(order, owner_id=owner_id, command=command)
    if len(order) == 1:
        return Reply(view.current)
    return Reply(view.current, view)
