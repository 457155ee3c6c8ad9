"""/notify and /manage settings notify called directly, with spec'd fakes and real discord.Role objects."""

import re
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock, MagicMock

import discord
import pytest
from discord import app_commands

from bot.catalog import Catalog
from bot.errors import BadInputError, SetupNeededError
from bot.facts.spoilers import SpoilerPolicy
from bot.notify import bot_problem, role_problem
from bot.store import Store
from bot.tree import NotAllowedError, message_for
from cogs.manage import Manage, RecapPublisher
from cogs.notify import Notify
from tests.fan_fakes import invoke, make_interaction

pytestmark = pytest.mark.backends("sqlite", "postgres")

GUILD_ID, MOD_ID, FAN_ID = 4242, 7, 8
PING, POWER, HIGH, BOT_ROLE = 502, 505, 506, 444
README = Path(__file__).resolve().parents[2] / "README.md"


def guild(*, manage_roles: bool = True) -> MagicMock:
    """Return a server with a ping role (no permissions), a role with permissions, and a role above the bot's."""
    found = MagicMock(spec=discord.Guild)
    found.id = GUILD_ID

    def role(role_id: int, name: str, position: int, permissions: int = 0, **extra: Any) -> discord.Role:
        data: Any = {"id": role_id, "name": name, "position": position, "permissions": str(permissions), **extra}
        return discord.Role(guild=found, state=MagicMock(), data=data)

    roles = {
        GUILD_ID: role(GUILD_ID, "@everyone", 0),
        PING: role(PING, "Race Alerts", 2),
        POWER: role(POWER, "Helpers", 3, discord.Permissions(kick_members=True).value),
        BOT_ROLE: role(BOT_ROLE, "Pit Board", 5, managed=True),
        HIGH: role(HIGH, "Stewards", 6),
    }
    found.get_role.side_effect = roles.get
    found.me = MagicMock(spec=discord.Member)
    found.me.top_role = roles[BOT_ROLE]
    found.me.guild_permissions = discord.Permissions(manage_roles=manage_roles)
    return found


def member_interaction(where: MagicMock, *, user_id: int = FAN_ID, roles: tuple[int, ...] = ()) -> MagicMock:
    """Return an interaction from a member of the server holding these roles; role changes are AsyncMocks."""
    interaction = make_interaction(user_id=user_id, guild_id=GUILD_ID)
    interaction.guild = where
    interaction.permissions = discord.Permissions(manage_guild=user_id == MOD_ID)
    member = MagicMock(spec=discord.Member)
    member.id = user_id
    member.get_role.side_effect = lambda role_id: object() if role_id in roles else None
    member.add_roles = AsyncMock()
    member.remove_roles = AsyncMock()
    interaction.user = member
    return interaction


def private_text(interaction: MagicMock) -> str:
    """Return the one reply, checking it is private and pings nobody."""
    interaction.response.send_message.assert_awaited_once()
    call = interaction.response.send_message.await_args
    assert call.kwargs["ephemeral"] is True
    mentions = call.kwargs["allowed_mentions"]
    assert (mentions.everyone, mentions.users, mentions.roles, mentions.replied_user) == (False, False, False, False)
    return call.args[0]


def changed_nothing(interaction: MagicMock) -> bool:
    return not interaction.user.add_roles.await_count and not interaction.user.remove_roles.await_count


@pytest.fixture
def catalog(store: Store) -> Catalog:
    return Catalog(store)


@pytest.fixture
def notify(catalog: Catalog) -> Notify:
    return Notify(catalog)


@pytest.fixture
def manage(store: Store, catalog: Catalog) -> Manage:
    return Manage(store, catalog, RecapPublisher(store, catalog, SpoilerPolicy(catalog.guild_settings)))


async def allow(store: Store, *, role_id: int | None = PING, on: bool = True) -> None:
    """Store the ping role and the notify setting as a moderator would have left them."""
    await store.update_guild_settings(GUILD_ID, MOD_ID, setting="ping_role_id", value=role_id, detail="ping role")
    await store.update_guild_settings(GUILD_ID, MOD_ID, setting="notify", value=int(on), detail="notify")


# --- /notify -------------------------------------------------------------------------------------------------


async def test_on_gives_the_ping_role_and_off_removes_it(notify: Notify, store: Store):
    await allow(store)
    where = guild()
    asked = member_interaction(where)
    await invoke(notify.notify, asked, state="on")
    asked.user.add_roles.assert_awaited_once()
    assert asked.user.add_roles.await_args.args == (where.get_role(PING),)
    assert "Done: you now have <@&502>" in private_text(asked)

    dropped = member_interaction(where, roles=(PING,))
    await invoke(notify.notify, dropped, state="off")
    dropped.user.remove_roles.assert_awaited_once()
    assert dropped.user.remove_roles.await_args.args == (where.get_role(PING),)
    assert "Done: you no longer have <@&502>" in private_text(dropped)


@pytest.mark.parametrize(("state", "roles", "said"), [("on", (PING,), "already"), ("off", (), "don't have")])
async def test_asking_for_what_you_have_is_answered_kindly_and_changes_nothing(
    notify: Notify, store: Store, state: str, roles: tuple[int, ...], said: str
):
    await allow(store)
    asked = member_interaction(guild(), roles=roles)
    await invoke(notify.notify, asked, state=state)
    assert said in private_text(asked)
    assert changed_nothing(asked)


@pytest.mark.parametrize(
    ("role_id", "on", "manage_roles", "said"),
    [
        (PING, False, True, "moderators have not turned on /notify"),
        (None, True, True, "no ping role"),
        (999_999, True, True, "no ping role"),  # the role was deleted since it was chosen
        (POWER, True, True, "@Helpers carries permissions (Kick Members)"),
        (HIGH, True, True, "@Stewards sits at or above my highest role (@Pit Board)"),
        (BOT_ROLE, True, True, "belongs to an integration"),
        (PING, True, False, "I need the Manage Roles permission"),
    ],
)
async def test_refusals_are_private_and_change_nothing(
    notify: Notify, store: Store, role_id: int | None, on: bool, manage_roles: bool, said: str
):
    await allow(store, role_id=role_id, on=on)
    asked = member_interaction(guild(manage_roles=manage_roles))
    with pytest.raises(SetupNeededError, match=re.escape(said)) as refused:
        await invoke(notify.notify, asked, state="on")
    assert "Nothing was changed." in str(refused.value)
    assert changed_nothing(asked)
    # The tree's one error path shows the message as written.
    assert message_for(app_commands.CommandInvokeError(notify.notify, refused.value)) == str(refused.value)


async def test_discord_refusing_the_change_is_explained(notify: Notify, store: Store):
    await allow(store)
    asked = member_interaction(guild())
    asked.user.add_roles.side_effect = discord.Forbidden(MagicMock(status=403, reason="Forbidden"), "Missing")
    with pytest.raises(SetupNeededError, match="Discord did not let me change your roles"):
        await invoke(notify.notify, asked, state="on")


async def test_notify_works_only_in_a_server(notify: Notify):
    assert notify.notify.guild_only
    assert notify.notify.default_permissions is None  # a fans' command, listed in /help
    assert len(notify.notify.checks) == 1  # the per-member cooldown: role changes fill the audit log


# --- the rules -----------------------------------------------------------------------------------------------


def test_a_role_is_safe_to_hand_out_only_without_permissions_and_below_the_bot():
    where = guild()
    assert role_problem(where.get_role(PING), where.me) is None
    assert role_problem(where.get_role(GUILD_ID), where.me) is not None
    assert role_problem(where.get_role(POWER), where.me) is not None
    assert role_problem(where.get_role(HIGH), where.me) is not None
    assert role_problem(where.get_role(BOT_ROLE), where.me) is not None  # managed, and the bot's own top role
    assert bot_problem(where.me) is None
    assert "Manage Roles" in (bot_problem(guild(manage_roles=False).me) or "")


# --- /manage settings notify ---------------------------------------------------------------------------------


async def test_moderators_turn_notify_on_and_off_and_it_is_audited_and_shown(
    manage: Manage, store: Store, catalog: Catalog
):
    await allow(store, on=False)
    where = guild()
    turned_on = member_interaction(where, user_id=MOD_ID)
    await invoke(manage.settings_notify, turned_on, allow="yes")
    assert "Done: fans can take or drop <@&502>" in private_text(turned_on)
    assert (await catalog.guild_settings(GUILD_ID)).notify is True

    shown = member_interaction(where, user_id=MOD_ID)
    await invoke(manage.settings_show, shown)
    fields = {f.name: f.value for f in shown.response.send_message.await_args.kwargs["embed"].fields}
    assert fields["Fans' /notify"].startswith("on: fans take <@&502> with `/notify on`")

    turned_off = member_interaction(where, user_id=MOD_ID)
    await invoke(manage.settings_notify, turned_off, allow="no")
    assert private_text(turned_off).startswith("Done: /notify turned off")
    assert (await catalog.guild_settings(GUILD_ID)).notify is False
    details = [e.detail for e in await store.audit_entries(GUILD_ID)]
    assert any(d.startswith("/notify turned on: fans can take or drop @Race Alerts") for d in details)
    assert any(d.startswith("/notify turned off") for d in details)


@pytest.mark.parametrize(
    ("role_id", "manage_roles", "said"),
    [
        (None, True, "choose one with `/manage settings ping-role` first"),
        (POWER, True, "clear them in Server Settings → Roles → Helpers → Permissions"),
        (HIGH, True, "drag Pit Board's role above @Stewards"),
        (PING, False, "Server Settings → Roles → Pit Board → Permissions"),
    ],
)
async def test_turning_notify_on_says_what_to_fix_and_saves_nothing(
    manage: Manage, store: Store, catalog: Catalog, role_id: int | None, manage_roles: bool, said: str
):
    await allow(store, role_id=role_id, on=False)
    audited = len(await store.audit_entries(GUILD_ID))
    asked = member_interaction(guild(manage_roles=manage_roles), user_id=MOD_ID)
    with pytest.raises(BadInputError, match=re.escape(said)) as refused:
        await invoke(manage.settings_notify, asked, allow="yes")
    assert str(refused.value).endswith("Nothing was changed.")
    assert (await catalog.guild_settings(GUILD_ID)).notify is False
    assert len(await store.audit_entries(GUILD_ID)) == audited


async def test_the_notify_setting_is_for_moderators_only_at_run_time(manage: Manage, store: Store):
    asked = member_interaction(guild())  # a fan: no Manage Server, no moderator role
    with pytest.raises(NotAllowedError, match="Only moderators can use /manage"):
        await manage.interaction_check(asked)
    assert manage.settings_notify.parent is not None
    assert manage.settings_notify.root_parent.default_permissions == discord.Permissions(manage_guild=True)


async def test_the_ping_role_must_stay_safe_to_hand_out_while_notify_is_on(
    manage: Manage, store: Store, catalog: Catalog
):
    await allow(store)
    where = guild()
    for role_id, said in ((POWER, "carries permissions"), (HIGH, "at or above my highest role")):
        asked = member_interaction(where, user_id=MOD_ID)
        with pytest.raises(BadInputError, match=said):
            await invoke(manage.settings_ping_role, asked, role=where.get_role(role_id))
        assert (await catalog.guild_settings(GUILD_ID)).ping_role_id == PING

    await store.update_guild_settings(GUILD_ID, MOD_ID, setting="notify", value=0, detail="notify off")
    asked = member_interaction(where, user_id=MOD_ID)
    await invoke(manage.settings_ping_role, asked, role=where.get_role(POWER))  # only recaps ping it: allowed
    assert (await catalog.guild_settings(GUILD_ID)).ping_role_id == POWER


# --- the README ----------------------------------------------------------------------------------------------


def test_the_invite_asks_for_manage_roles_only_for_notify():
    text = README.read_text(encoding="utf-8")
    invite = text.split("## Put the bot in your server", 1)[1].split("\n## ", 1)[0]
    permissions_step = invite.split("\n3. ", 1)[1].split("\n4. ", 1)[0]
    assert "Send Messages" in permissions_step and "Manage Roles" not in permissions_step
    assert "Manage Roles" in invite and "/notify" in invite
    assert "| `/notify on\\|off` |" in text and "| `/manage settings notify allow:yes\\|no` |" in text
