.PHONY: run test lint

# Set up and start everything (web, Redis, Celery worker and beat, demo data) on 127.0.0.1.
run:
	bash scripts/run.sh

# Set up and run all checks and tests.
test:
	bash scripts/test.sh

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .
