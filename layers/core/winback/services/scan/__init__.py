"""Scan: finding the users to win back.

- `population_stats`: the daily stats step, a sample of the users' cut points and popular items;
- `plan`: the daily plan, one scan job per parallel-scan segment;
- `job`: one scan job, its segment walked page by page: tiers, campaigns, arms, packed send jobs.
"""
