"""/notify end to end: fans take and drop the ping role through Discord's role routes, and every refusal."""

from typing import Any

import discord
import pytest

from bot.client import PitBoard
from bot.store import Store
from tests.e2e.conftest import CHAT, GUILD, RECAPS, ephemeral, text_of
from tests.fakediscord import Interaction, RecordedRequest
from tests.fakediscord.models import (
    BOT_ROLE_DEFAULT,
    BOT_USER,
    FAN,
    OWNER,
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeRole,
    Perm,
)
from tests.fakediscord.server import FakeDiscord

PING, POWER, HIGH, BOT_ROLE = 502, 505, 506, 444
ROLE_ROUTE = f"/guilds/{GUILD}/members/{FAN.id}/roles/"


def server(*, bot_permissions: int = BOT_ROLE_DEFAULT | Perm.MANAGE_ROLES) -> list[FakeGuild]:
    """A server whose Pit Board role sits at position 5: a ping role below it, a role with power, one above it."""
    return [
        FakeGuild(
            id=GUILD,
            roles=[
                FakeRole(PING, "Race Alerts", position=2),
                FakeRole(POWER, "Helpers", Perm.KICK_MEMBERS, position=3),
                FakeRole(BOT_ROLE, BOT_USER.username, bot_permissions, 5, managed=True, bot_id=BOT_USER.id),
                FakeRole(HIGH, "Stewards", position=6),
            ],
            channels=[FakeChannel(CHAT, "race-chat", position=0), FakeChannel(RECAPS, "recaps", position=1)],
            members=[FakeMember(OWNER), FakeMember(FAN)],
        )
    ]


pytestmark = pytest.mark.fake_discord(guilds=server())
without_manage_roles = pytest.mark.fake_discord(guilds=server(bot_permissions=BOT_ROLE_DEFAULT))


async def answer(interaction: Interaction) -> RecordedRequest:
    return await interaction.wait_response()


async def run(fake: FakeDiscord, name: str, options: dict[str, Any] | None = None, **who: Any) -> RecordedRequest:
    return await answer(await fake.send_slash(name, options or {}, **who))


async def set_up(fake: FakeDiscord, *, role: int = PING, allow: bool = True) -> None:
    """Have the owner choose the ping role and let fans take it, as the README tells moderators to."""
    chosen = await run(fake, "manage settings ping-role", {"role": role}, user=OWNER)
    assert "Done: ping role set" in text_of(chosen)
    if allow:
        allowed = await run(fake, "manage settings notify", {"allow": "yes"}, user=OWNER)
        assert "Done: fans can take or drop" in text_of(allowed), text_of(allowed)


def role_changes(fake: FakeDiscord) -> list[str]:
    """The fan's role changes Pit Board asked Discord for, as 'PUT 502'."""
    return [f"{r.method} {r.path.rsplit('/', 1)[1]}" for r in fake.requests if r.path.startswith(ROLE_ROUTE)]


def fan_roles(fake: FakeDiscord) -> list[int]:
    member = fake.guild.member(FAN.id)
    assert member is not None
    return member.roles


async def change_role(fake: FakeDiscord, role_id: int, **changes: Any) -> None:
    """An admin edits a role in Discord; the bot hears of it as it would (GUILD_ROLE_UPDATE)."""
    role = fake.guild.role(role_id)
    assert role is not None
    for name, value in changes.items():
        setattr(role, name, value)
    await fake.dispatch("GUILD_ROLE_UPDATE", {"guild_id": str(GUILD), "role": role.to_json()}, guild_id=GUILD)


async def dump(store: Store) -> list[str]:
    return [line async for line in store.connection.iterdump()]


def refused(reply: RecordedRequest, *words: str) -> bool:
    """Whether a reply is private, pings nobody, says every one of words, and that nothing was changed."""
    body = reply.body["data"]
    text = text_of(reply)
    return (
        ephemeral(reply)
        and body["allowed_mentions"] == {"parse": []}
        and "Nothing was changed." in text
        and all(w in text for w in words)
    )


async def test_a_fan_takes_the_ping_role_and_drops_it(bot: PitBoard, fake_discord: FakeDiscord):
    await set_up(fake_discord)
    shown = await run(fake_discord, "manage settings show", user=OWNER)
    assert "Fans' /notify: on: fans take <@&502> with `/notify on`" in text_of(shown)

    taken = await run(fake_discord, "notify", {"state": "on"})
    assert ephemeral(taken) and "Done: you now have <@&502>" in text_of(taken)
    assert taken.body["data"]["allowed_mentions"] == {"parse": []}
    assert role_changes(fake_discord) == ["PUT 502"]
    assert fan_roles(fake_discord) == [PING]
    put = next(r for r in fake_discord.requests if r.path.startswith(ROLE_ROUTE))
    assert put.status == 204 and put.body is None
    assert put.headers.get("X-Audit-Log-Reason", "").startswith("/notify on")

    again = await run(fake_discord, "notify", {"state": "on"})  # the interaction now carries the role
    assert ephemeral(again) and "You have <@&502> already" in text_of(again)
    assert role_changes(fake_discord) == ["PUT 502"]

    dropped = await run(fake_discord, "notify", {"state": "off"})
    assert ephemeral(dropped) and "Done: you no longer have <@&502>" in text_of(dropped)
    assert role_changes(fake_discord) == ["PUT 502", "DELETE 502"]
    assert fan_roles(fake_discord) == []

    once_more = await run(fake_discord, "notify", {"state": "off"})
    assert "You don't have <@&502>" in text_of(once_more)
    assert role_changes(fake_discord) == ["PUT 502", "DELETE 502"]


async def test_not_allowed_here_is_refused(bot: PitBoard, fake_discord: FakeDiscord, store: Store):
    await set_up(fake_discord, allow=False)
    before = await dump(store)
    reply = await run(fake_discord, "notify", {"state": "on"})
    assert refused(reply, "moderators have not turned on /notify")
    assert role_changes(fake_discord) == [] and fan_roles(fake_discord) == []
    assert await dump(store) == before


async def test_no_ping_role_is_refused(bot: PitBoard, fake_discord: FakeDiscord, store: Store):
    await set_up(fake_discord)
    cleared = await run(fake_discord, "manage settings ping-role", user=OWNER)
    assert "ping role cleared" in text_of(cleared)
    before = await dump(store)
    reply = await run(fake_discord, "notify", {"state": "on"})
    assert refused(reply, "no ping role", "/manage settings ping-role")
    assert role_changes(fake_discord) == [] and await dump(store) == before


async def test_a_ping_role_given_permissions_later_is_refused(bot: PitBoard, fake_discord: FakeDiscord, store: Store):
    await set_up(fake_discord)
    await change_role(fake_discord, PING, permissions=Perm.MANAGE_MESSAGES)
    before = await dump(store)
    reply = await run(fake_discord, "notify", {"state": "on"})
    assert refused(reply, "@Race Alerts carries permissions (Manage Messages)")
    assert role_changes(fake_discord) == [] and fan_roles(fake_discord) == []

    shown = await run(fake_discord, "manage settings show", user=OWNER)
    assert "on, but refused until fixed: @Race Alerts carries permissions" in text_of(shown)
    assert await dump(store) == before


async def test_a_ping_role_moved_above_the_bot_is_refused(bot: PitBoard, fake_discord: FakeDiscord, store: Store):
    await set_up(fake_discord)
    await change_role(fake_discord, PING, position=7)
    before = await dump(store)
    reply = await run(fake_discord, "notify", {"state": "on"})
    assert refused(reply, "@Race Alerts sits at or above my highest role (@pitboard)")
    assert role_changes(fake_discord) == [] and await dump(store) == before


async def test_losing_manage_roles_is_refused(bot: PitBoard, fake_discord: FakeDiscord, store: Store):
    await set_up(fake_discord)
    await change_role(fake_discord, BOT_ROLE, permissions=BOT_ROLE_DEFAULT)
    before = await dump(store)
    reply = await run(fake_discord, "notify", {"state": "on"})
    assert refused(reply, "I need the Manage Roles permission", "Server Settings → Roles → Pit Board")
    assert role_changes(fake_discord) == [] and await dump(store) == before


@without_manage_roles
async def test_turning_notify_on_without_manage_roles_says_how_to_grant_it(
    bot: PitBoard, fake_discord: FakeDiscord, store: Store
):
    await set_up(fake_discord, allow=False)
    before = await dump(store)
    reply = await run(fake_discord, "manage settings notify", {"allow": "yes"}, user=OWNER)
    assert refused(reply, "Manage Roles", "Server Settings → Roles → Pit Board → Permissions")
    assert await dump(store) == before
    # Granted as the README says, it can be turned on.
    await change_role(fake_discord, BOT_ROLE, permissions=BOT_ROLE_DEFAULT | Perm.MANAGE_ROLES)
    allowed = await run(fake_discord, "manage settings notify", {"allow": "yes"}, user=OWNER)
    assert "Done: fans can take or drop <@&502>" in text_of(allowed)
    assert (await store.guild_settings(GUILD)).notify is True


async def test_turning_notify_on_refuses_an_unsafe_ping_role(bot: PitBoard, fake_discord: FakeDiscord, store: Store):
    for role, said in ((POWER, "@Helpers carries permissions (Kick Members)"), (HIGH, "@Stewards sits at or above")):
        await set_up(fake_discord, role=role, allow=False)
        before = await dump(store)
        reply = await run(fake_discord, "manage settings notify", {"allow": "yes"}, user=OWNER)
        assert refused(reply, said)
        assert await dump(store) == before
    assert (await store.guild_settings(GUILD)).notify is False


async def test_while_notify_is_on_the_ping_role_must_stay_safe(bot: PitBoard, fake_discord: FakeDiscord, store: Store):
    await set_up(fake_discord)
    before = await dump(store)
    for role, said in ((POWER, "carries permissions"), (HIGH, "sits at or above my highest role")):
        reply = await run(fake_discord, "manage settings ping-role", {"role": role}, user=OWNER)
        assert refused(reply, said, "/manage settings notify allow:no")
    assert await dump(store) == before


async def test_the_notify_setting_is_for_moderators_at_run_time(bot: PitBoard, fake_discord: FakeDiscord, store: Store):
    await set_up(fake_discord, allow=False)
    before = await dump(store)
    # Shown to the fan anyway (a server can do that in Integrations): the bot still refuses.
    reply = await run(fake_discord, "manage settings notify", {"allow": "yes"}, force=True)
    assert ephemeral(reply) and "Only moderators can use /manage" in text_of(reply)
    assert await dump(store) == before
    taken = await run(fake_discord, "notify", {"state": "on"})
    assert refused(taken, "moderators have not turned on /notify")

    audit = await run(fake_discord, "manage audit", user=OWNER)
    assert "/notify" not in text_of(audit)
    turned_on = await run(fake_discord, "manage settings notify", {"allow": "yes"}, user=OWNER)
    assert ephemeral(turned_on)
    audit = await run(fake_discord, "manage audit", user=OWNER)
    assert "/notify turned on: fans can take or drop @Race Alerts themselves" in text_of(audit)


async def test_the_fake_refuses_role_changes_as_discord_does(bot: PitBoard, fake_discord: FakeDiscord):
    await bot.http.add_role(GUILD, FAN.id, PING)  # below the bot, with Manage Roles: fine
    assert fan_roles(fake_discord) == [PING]
    for role in (HIGH, BOT_ROLE, GUILD):
        with pytest.raises(discord.Forbidden, match="Missing Permissions"):
            await bot.http.add_role(GUILD, FAN.id, role)
    with pytest.raises(discord.NotFound, match="Unknown Role"):
        await bot.http.add_role(GUILD, FAN.id, 12345)
    await bot.http.remove_role(GUILD, FAN.id, PING)
    await bot.http.remove_role(GUILD, FAN.id, PING)  # idempotent, as on Discord
    assert fan_roles(fake_discord) == []
