# ClubCycle: `make demo` to try it, `make test` to check it. Both install what they need.
.PHONY: install demo test lint format bench clean

install: .venv/.installed static_build/vendor/chart.umd.js.map

.venv/.installed: pyproject.toml requirements.lock scripts/install.sh
	@bash scripts/install.sh
	@touch $@

# Chart.js for the dashboards, from the npm registry into an ignored static folder. Without
# npm (or the registry) the dashboards still work, with their tables and no charts. The
# source map goes too: collectstatic's manifest storage refuses a script whose map is missing.
static_build/vendor/chart.umd.js.map: package.json package-lock.json
	@if ! command -v npm >/dev/null 2>&1; then \
	  echo "==> WARNING: npm not found: dashboards will show tables without charts (install node + npm, then make install)"; \
	elif npm ci --no-audit --no-fund --loglevel=error; then \
	  mkdir -p static_build/vendor && cp node_modules/chart.js/dist/chart.umd.js node_modules/chart.js/dist/chart.umd.js.map static_build/vendor/; \
	else \
	  echo "==> WARNING: npm ci failed: dashboards will show tables without charts"; \
	fi

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
	rm -rf .venv var node_modules static_build
