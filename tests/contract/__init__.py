"""Discord API contract: the OpenAPI spec (MIT, see LICENSE) and a validator for recorded requests."""
