-- 0014: a node's copies of the quotes servers added, when PostgreSQL keeps them (DATABASE_URL).
--
-- PostgreSQL holds a server's quotes (guild_quotes), but fans' reads (/quote, its race and driver filters) read
-- this file's quotes table. Each node copies them in (bot.store.postgres.mirror) as rows with guild_id set, as
-- quotes added on SQLite are. server_quote_id is the quote's id in PostgreSQL, which is what makes copying it
-- again write nothing and lets a quote removed there be removed here. The copy's own id is this node's, as every
-- race's and driver's is: PostgreSQL's ids would meet the shipped quotes' ids in this table.

ALTER TABLE quotes ADD COLUMN server_quote_id INTEGER;  -- NULL: not a copy from PostgreSQL
CREATE UNIQUE INDEX quotes_by_server_id ON quotes (server_quote_id) WHERE server_quote_id IS NOT NULL;
