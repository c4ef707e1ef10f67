"""The assessment and its parts (测评): editions, and what the city would score today, part by part."""
