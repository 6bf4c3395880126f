"""Report selectors: each module reads one report's figures from the mirror, aggregated by
the database, and builds the tables its page shows."""
