-- 0012: fans choose their own pings.
--
-- A server's moderators can let fans give themselves the server's ping role (guild_settings.ping_role_id) with
-- /notify on|off, through /manage settings notify allow:yes|no. It is off until a moderator turns it on: handing out
-- a role needs the Manage Roles permission, which Pit Board's invite leaves out, and a server must choose to let
-- every member take the one role Pit Board may ping. Whether it is on is all there is to remember; whether the
-- role is safe to hand out (no permissions, below Pit Board's own role) is checked against Discord each time.

ALTER TABLE guild_settings ADD COLUMN notify INTEGER NOT NULL DEFAULT 0 CHECK (notify IN (0, 1));
