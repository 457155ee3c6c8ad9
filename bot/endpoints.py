"""Where discord.py connects: Discord itself, or a Discord-compatible server (the tests' and benchmark's fake)."""

import discord.gateway
import discord.http
import yarl


def use_discord_endpoints(api_base: str | None, gateway_url: str | None) -> None:
    """Point discord.py at a Discord-compatible server; None keeps Discord itself.

    discord.py has no public option for this; Route.BASE and DEFAULT_GATEWAY are the two
    attributes every request and connection is built from.
    """
    if api_base:
        discord.http.Route.BASE = api_base
    if gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
