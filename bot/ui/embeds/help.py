"""The /help card: every command, clickable, with what it does."""

from collections.abc import Sequence

import discord

from bot.ui.limits import fit, new_embed


def help_embed(fan: Sequence[tuple[str, str]], moderator: Sequence[str] = ()) -> discord.Embed:
    """Return the fans' commands, each as a mention (or /name) with what it does, then the moderators' ones."""
    lines = [f"{mention} · {description}" for mention, description in fan]
    tips = (
        "**Tips**\n"
        "Race options default to the latest race; type a race name, track or season, or pick a suggestion.\n"
        "Driver options take a name, a surname or a car number such as #07 (07 and 7 are different cars)."
    )
    embed = new_embed("Pit Board commands", "\n".join(lines) + "\n\n" + tips)
    if moderator:
        embed.add_field(name="For moderators", value=" ".join(moderator), inline=False)
    embed.set_footer(text="Every answer comes from Pit Board's own race store, with its sources")
    return fit(embed)
