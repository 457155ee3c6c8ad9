"""Following the season: keeping the followed series current from nascaR.data, on schedule and on demand."""
