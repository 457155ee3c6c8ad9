"""Quotes as replies: one quote with its source, and 'Another' for the rest."""

import random
from collections.abc import Sequence

import discord

from bot.store.models import Quote
from bot.tree import NO_MENTIONS
from bot.ui.limits import DESCRIPTION_MAX, FIELD_VALUE_MAX, clip, fit, new_embed, safe_url
from bot.ui.replies import OwnedView, Reply
from bot.ui.text import NOT_RECORDED, hide, plain


class QuoteView(OwnedView):
    """An 'Another' button that steps through matching quotes, each shown once."""

    def __init__(
        self,
        quotes: Sequence[Quote],
        *,
        owner_id: int,
        command: str = "quote",
        hidden: frozenset[int] = frozenset(),
        note: str = "",
    ) -> None:
        super().__init__(owner_id=owner_id, command=command)
        self.quotes = list(quotes)
        self.hidden = hidden  # races whose quotes are hidden until tapped (spoiler-safe mode)
        self.note = note  # why /quote given no race picked this one, on every quote it steps through
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
        spoiler = quote.race_id in self.hidden
        return quote_embed(quote, self.position + 1, len(self.quotes), spoiler=spoiler, note=self.note)

    @discord.ui.button(label="Another", style=discord.ButtonStyle.primary)
    async def another(self, interaction: discord.Interaction, button: discord.ui.Button["QuoteView"]) -> None:
        """Show the next quote."""
        self.position = min(self.position + 1, len(self.quotes) - 1)
        self._sync_button()
        await interaction.response.edit_message(embed=self.current, view=self, allowed_mentions=NO_MENTIONS)


def quote_embed(quote: Quote, number: int, total: int, *, spoiler: bool = False, note: str = "") -> discord.Embed:
    """Return one quote with its speaker, role, context, race and source.

    In spoiler-safe mode the words, role and context ("Race winner", "1 down 2 to go!") are hidden until tapped.
    The words are escaped like every stored text: they are what someone said, not markup. note (footer text, so
    as stored) says why a /quote given no race picked this quote's race.
    """

    def shown(text: str, limit: int) -> str:
        # Cut before hiding: fit() cutting a hidden text would cut its closing bars and show the rest. The text is
        # escaped (its bars too), so hiding adds only the four bars around it.
        return hide(clip(text, limit - 4)) if spoiler else text

    embed = new_embed(plain(quote.speaker), shown(f"“{plain(quote.text)}”", DESCRIPTION_MAX), url=quote.source_url)
    embed.add_field(name="Role", value=shown(plain(quote.role), FIELD_VALUE_MAX) if quote.role else NOT_RECORDED)
    embed.add_field(name="Race", value=plain(quote.race_label))
    context = shown(plain(quote.context), FIELD_VALUE_MAX) if quote.context else NOT_RECORDED
    embed.add_field(name="Context", value=context, inline=False)
    url = safe_url(quote.source_url)
    embed.add_field(name="Source", value=f"[{clip(url, 200)}]({url})" if url else NOT_RECORDED, inline=False)
    footer = f"Quote {number} of {total}"
    if quote.confidence:
        footer += f" · {quote.confidence}"
    if spoiler:
        footer += " · spoiler-safe mode: tap to reveal"
    if note:
        footer += f"\n{note}"
    embed.set_footer(text=footer)
    return fit(embed)


def quotes_reply(
    quotes: Sequence[Quote],
    *,
    owner_id: int,
    rng: random.Random,
    command: str = "quote",
    hidden: frozenset[int] = frozenset(),
    note: str = "",
) -> Reply:
    """Return a random order of the quotes, the first shown, with 'Another' when there are more.

    Quotes about the races in hidden (held back for spoilers) are hidden until tapped; note goes under each.
    """
    order = list(quotes)
    rng.shuffle(order)
    view = QuoteView(order, owner_id=owner_id, command=command, hidden=hidden, note=note)
    if len(order) == 1:
        return Reply(view.current)
    return Reply(view.current, view)
