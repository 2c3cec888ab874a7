# ClubCycle: `make demo` to try it, `make test` to check it. Both install what they need.
.PHONY: install demo test lint format bench clean

install: .venv/.installed

.venv/.installed: pyproject.toml requirements.lock scripts/install.sh
	@bash scripts/install.sh
	@touch $@

demo: install
	@bash scripts/demo.sh

test: install
	@bash scripts/test.sh

lint: install
	.venv/bin/ruff format --check .
	.venv/bin/ruff check .

format: install
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

bench: install
	@bash scripts/bench.sh

# Re-resolve the lock file after changing dependencies in pyproject.toml.
lock:
	uv pip compile pyproject.toml --extra dev -o requirements.lock --python-version 3.11

clean:
	rm -rf .venv var
