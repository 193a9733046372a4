"""The published results as the site shows them: the leaderboard table, per-problem and
per-submission breakdowns, statistics, efficiency profiles, and the cache that keeps them."""
