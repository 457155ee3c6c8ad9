"""Spec'd fakes of discord.py objects for calling the fan commands directly, with no network."""

from types import SimpleNamespace
from typing import Any
from unittest.mock import AsyncMock, MagicMock

import discord
from discord.ext import commands

from bot.paging import PagedView
from bot.render import QuoteView, ReplyView
from bot.search import Catalog
from bot.store import Store

USER_ID = 100
OTHER_USER_ID = 200


def make_interaction(*, user_id: int = USER_ID, guild_id: int | None = None, **namespace: Any) -> MagicMock:
    """Return a fake Interaction whose replies are AsyncMocks; namespace holds options typed so far."""
    interaction = MagicMock(spec=discord.Interaction)
    interaction.user = MagicMock(spec=discord.Member)
    interaction.user.id = user_id
    interaction.guild_id = guild_id
    interaction.namespace = SimpleNamespace(**namespace)
    response = MagicMock(spec=discord.InteractionResponse)
    response.send_message = AsyncMock()
    response.edit_message = AsyncMock()
    response.defer = AsyncMock()
    response.is_done = MagicMock(return_value=False)
    interaction.response = response
    interaction.followup = MagicMock(spec=discord.Webhook)
    interaction.followup.send = AsyncMock()
    interaction.edit_original_response = AsyncMock()
    return interaction


def sent(interaction: MagicMock) -> dict[str, Any]:
    """Return the keyword arguments of the one message the command sent."""
    interaction.response.send_message.assert_awaited_once()
    return interaction.response.send_message.await_args.kwargs


def embed_of(interaction: MagicMock) -> discord.Embed:
    """Return the embed of the one public reply, checking it is public and mentions nothing."""
    kwargs = sent(interaction)
    assert not kwargs.get("ephemeral", False)
    mentions = kwargs["allowed_mentions"]
    assert (mentions.everyone, mentions.users, mentions.roles, mentions.replied_user) == (False, False, False, False)
    return kwargs["embed"]


def view_of(interaction: MagicMock) -> ReplyView | None:
    """Return the buttons of the one reply, if any."""
    return sent(interaction).get("view")


def paged_view(interaction: MagicMock) -> PagedView:
    """Return the pager of the one reply."""
    view = view_of(interaction)
    assert isinstance(view, PagedView)
    return view


def quote_view(interaction: MagicMock) -> QuoteView:
    """Return the 'Another' view of the one reply."""
    view = view_of(interaction)
    assert isinstance(view, QuoteView)
    return view


def text_of(embed: discord.Embed) -> str:
    """Return everything a reader sees in an embed, as one string."""
    parts = [embed.title or "", embed.description or ""]
    parts += [f"{f.name}\n{f.value}" for f in embed.fields]
    parts.append(embed.footer.text or "")
    return "\n".join(parts)


def catalog(store: Store) -> Catalog:
    """Return a fresh catalog over the store."""
    return Catalog(store)


def pressing(*cogs: commands.Cog, user_id: int = USER_ID, guild_id: int | None = None) -> MagicMock:
    """Return a fake button press whose client finds these cogs by name, as the bot's buttons look them up."""
    interaction = make_interaction(user_id=user_id, guild_id=guild_id)
    interaction.client = MagicMock(spec=commands.Bot)
    by_name = {cog.__cog_name__: cog for cog in cogs}
    interaction.client.get_cog.side_effect = by_name.get
    return interaction
