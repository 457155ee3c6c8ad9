"""`make bench`: every fan command against discord.py's own floor, on the shipped data and on 200,000 results."""
