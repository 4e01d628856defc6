# Two commands for a fresh machine: `make demo` and `make test`. Each bootstraps .venv itself.
SHELL := /bin/bash
# The Lambda runtime's Python (template.yaml: python3.13); `sam build` needs it on PATH too.
PYTHON ?= $(shell for p in python3.13 $$HOME/.pyenv/versions/3.13*/bin/python3.13 /usr/local/bin/python3.13 /usr/bin/python3.13; do \
	"$$p" -c 'import sys; assert sys.version_info[:2] == (3, 13)' >/dev/null 2>&1 && echo "$$p" && break; done)
VENV := .venv
SAM_VENV := .venv-sam
# aws-sam-cli pins boto3/pydantic versions of its own, so it lives in a venv of its own.
SAM_CLI_VERSION := $(shell sed -n 's/^sam-cli = "\(.*\)"/\1/p' pyproject.toml)
AUDIT_VENV := .venv-audit
# mkdocs and its theme live in a venv of their own, so the docs tools never move the product's pins.
DOCS_VENV := .venv-docs
tool_version = $(shell sed -n 's/^$(1) = "\(.*\)"/\1/p' pyproject.toml)
export SAM_CLI_TELEMETRY := 0

.PHONY: demo test unit lint sam security lock bench docs ci clean browser

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: Python 3.13 not found (the Lambda runtime's version); install it or pass PYTHON=/path/to/python3.13" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e ".[dev]"
	touch $@

$(SAM_VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: Python 3.13 not found" >&2; exit 1; }
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet "aws-sam-cli==$(SAM_CLI_VERSION)"
	touch $@

$(AUDIT_VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: Python 3.13 not found" >&2; exit 1; }
	$(PYTHON) -m venv $(AUDIT_VENV)
	$(AUDIT_VENV)/bin/pip install --quiet "checkov==$(call tool_version,checkov)" \
		"pip-audit==$(call tool_version,pip-audit)" "pip-tools==$(call tool_version,pip-tools)"
	touch $@

$(DOCS_VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: Python 3.13 not found" >&2; exit 1; }
	$(PYTHON) -m venv $(DOCS_VENV)
	$(DOCS_VENV)/bin/pip install --quiet "mkdocs==$(call tool_version,mkdocs)" \
		"mkdocs-material==$(call tool_version,mkdocs-material)" \
		"pymdown-extensions==$(call tool_version,pymdown-extensions)" "Markdown==$(call tool_version,Markdown)"
	touch $@

demo: $(VENV)/.installed
	$(VENV)/bin/winback demo

# The browser tests (tests/browser) drive Debian's chromium with Playwright from the dev extras (never
# Playwright's own browser download) and inject the axe-core the dev extras bundle. Chromium, its Latin
# fonts and a CJK font (the zh-CN pages' screenshots) are installed here when missing and this machine
# can (root with apt-get); where it cannot, the browser tests skip with a loud reason (in CI they fail).
CHROMIUM ?= /usr/bin/chromium
BROWSER_PACKAGES := chromium fonts-liberation fonts-wqy-microhei
browser:
	@if [ -x "$(CHROMIUM)" ] && fc-list :lang=zh 2>/dev/null | grep -q .; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing $(BROWSER_PACKAGES) for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			$(BROWSER_PACKAGES) >/dev/null; \
	else \
		echo "!!! $(CHROMIUM) or a CJK font is missing and cannot be installed here (needs root and apt-get):" >&2; \
		echo "!!! the browser tests will SKIP. Install Debian's $(BROWSER_PACKAGES) to run them." >&2; \
	fi

test: $(VENV)/.installed browser
	$(VENV)/bin/pytest

# The fast loop: pure-logic unit tests only (no moto, no subprocesses), a few seconds.
unit: $(VENV)/.installed
	$(VENV)/bin/pytest -q tests/unit

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy layers/core/winback functions tooling tests bench
	$(VENV)/bin/cfn-lint template.yaml

sam: $(VENV)/.installed $(SAM_VENV)/.installed
	$(VENV)/bin/winback validate
	$(SAM_VENV)/bin/sam validate --lint
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(SAM_VENV)/bin/sam build

# checkov on the translated template (skips and their reasons: template.yaml Metadata.CheckovSkips),
# pip-audit on the layer's hashed lock (fails on a finding; warns loudly when it cannot reach its
# vulnerability service).
security: $(VENV)/.installed $(AUDIT_VENV)/.installed
	$(VENV)/bin/python -m winback_dev.security_checks checkov $(AUDIT_VENV)/bin/checkov
	$(VENV)/bin/python -m winback_dev.security_checks audit $(AUDIT_VENV)/bin/pip-audit

# Regenerate layers/core/requirements.lock (every transitive pin, with hashes) after changing requirements.txt.
lock: $(AUDIT_VENV)/.installed
	cd layers/core && ../../$(AUDIT_VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
		--no-emit-index-url --no-emit-find-links --no-header --output-file requirements.lock requirements.txt

bench: $(VENV)/.installed
	$(VENV)/bin/python -m bench

# The docs site (docs/, mkdocs.yml) in strict mode: a broken link or anchor, or a page left out of the
# nav, fails the build. The site goes to site/ (not committed).
docs: $(DOCS_VENV)/.installed
	$(DOCS_VENV)/bin/mkdocs build --strict

ci: lint sam security docs test

clean:
	rm -rf $(VENV) $(SAM_VENV) $(AUDIT_VENV) $(DOCS_VENV) .aws-sam demo-out bench-out site test-out
