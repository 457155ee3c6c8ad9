"""Whether Pit Board may hand the server's ping role to fans who ask for it with /notify, and what to fix if not."""

import discord

from bot.ui.text import plain

PERMISSIONS_SHOWN = 3
GRANT_MANAGE_ROLES = (
    "I need the Manage Roles permission to give fans the ping role. It is left out of the invite on purpose: "
    "a server admin turns it on for Pit Board's own role in Server Settings → Roles → Pit Board → Permissions."
)


def _permission_names(permissions: discord.Permissions) -> str:
    names = [name.replace("_", " ").replace("guild", "server").title() for name, on in permissions if on]
    more = f" and {len(names) - PERMISSIONS_SHOWN} more" if len(names) > PERMISSIONS_SHOWN else ""
    return ", ".join(names[:PERMISSIONS_SHOWN]) + more


def role_problem(role: discord.Role, me: discord.Member) -> str | None:
    """Return why anyone who asks must not be given this role by Pit Board, or None if it is safe to hand out.

    A role fans give themselves must carry no permission (else /notify would hand out power), and Discord lets a
    bot give only roles below its own highest one.
    """
    if role.is_default():
        return "Every member has @everyone already; choose a role fans opt into."
    name = plain(role.name)
    if role.managed:
        return f"@{name} belongs to an integration (a bot or a subscription), so nobody can hand it out."
    if role.permissions.value != 0:
        return (
            f"@{name} carries permissions ({_permission_names(role.permissions)}), and a role anyone can take "
            f"must carry none: clear them in Server Settings → Roles → {name} → Permissions."
        )
    if role >= me.top_role:
        return (
            f"@{name} sits at or above my highest role (@{plain(me.top_role.name)}), and Discord lets me give "
            f"only roles below it: drag Pit Board's role above @{name} in Server Settings → Roles."
        )
    return None


def bot_problem(me: discord.Member) -> str | None:
    """Return why Pit Board cannot give roles in this server at all, or None."""
    return None if me.guild_permissions.manage_roles else GRANT_MANAGE_ROLES
