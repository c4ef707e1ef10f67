.PHONY: run dev test lint bench

# Set up and start everything (web, Redis, Celery worker and beat, demo data) on 127.0.0.1.
run:
	bash scripts/run.sh

# The same with Django's development server: DEBUG on, code reloaded on change.
dev:
	bash scripts/run.sh dev

# Set up and run all checks and tests.
test:
	bash scripts/test.sh

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

# Benchmark on a synthetic city (SCALE=1: 1,000 units, 500,000 findings; SCALE=0.01 for a quick look),
# on SQLite (DB=sqlite), a throwaway PostgreSQL cluster (DB=postgres) or both (DB=both).
SCALE ?= 1
DB ?= sqlite
bench:
	bash scripts/bench.sh $(SCALE) $(DB)
