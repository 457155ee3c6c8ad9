"""NASCAR's public but unofficial JSON feeds: the client, what the files say, and the gentle poller (RACE_FEED=on)."""
