.PHONY: setup quickstart test bench
setup:
	bash scripts/setup.sh
quickstart:
	bash scripts/quickstart.sh
test:
	bash scripts/test.sh -q
bench:
	bash scripts/setup.sh && .venv/bin/python -m tests.benchmarks.run_all
