# One command per job; each creates .venv and installs the project on first use.
# Needs Python >= 3.11 and ZEPHYR_BASE naming a Zephyr tree.

PYTHON     ?= python3
VENV       ?= .venv
BIN        := $(VENV)/bin
INSTALLED  := $(VENV)/.installed
BUILDDIR   ?= _build
# -q: Sphinx prints warnings only; the html target says what it built from.
SPHINXOPTS ?= -q -W --keep-going -j auto
# Board targets missing from the cache are evaluated by forked workers, like -j auto's
# readers (wall time, not CPU; about 130 MB each); BOARD_JOBS=1 keeps one process.
BOARD_JOBS ?= auto
BENCH_SCALES ?= 0,1000,3000

.PHONY: help test html pdf bench lint clean venv evidence screenshots contrast graphviz pango

help:
	@echo "make test    run the test suite (needs ZEPHYR_BASE)"
	@echo "make html    build the guide into $(BUILDDIR)/html (needs ZEPHYR_BASE; brings Graphviz)"
	@echo "make pdf     the whole guide as $(BUILDDIR)/pdf/zephyr-security-guide.pdf (brings WeasyPrint, Pango)"
	@echo "make bench   measure Kconfig loading, guide builds and growth (BENCH_SCALES=0,1000,3000)"
	@echo "make screenshots  whole-page PNGs in $(BUILDDIR)/screenshots (brings chromium; SCREENSHOTS=--tiles)"
	@echo "make contrast  WCAG contrast of every text of the built pages, light and dark (chromium)"
	@echo "make evidence  write needs.json, traceability.csv, ReqIF, manifest to $(BUILDDIR)/evidence"
	@echo "make lint    ruff over ext/ and tests/, import-linter layer contracts"
	@echo "make clean   remove build outputs (keeps .venv)"

$(INSTALLED): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "secguide needs Python >= 3.11 (PYTHON=$(PYTHON))" >&2; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,pdf,screenshots]'
	@touch $@

venv: $(INSTALLED)

# Graphviz's dot draws the guide's diagrams (the guide is also built by the tests). Found
# on PATH, else installed with apt-get when root on Debian/Ubuntu, else one line: what to install.
graphviz:
	@sh scripts/ensure-tool.sh dot graphviz "Building the guide"

# WeasyPrint (make pdf, and its test) loads the system's Pango: the same three ways.
pango: $(INSTALLED)
	@sh scripts/ensure-pango.sh $(BIN)/python

# The JUnit report carries @pytest.mark.verifies links (secguide.pytest_plugin); pass it
# to the guide or the evidence with SECGUIDE_RESULTS / RESULTS.
test: $(INSTALLED) graphviz pango
	@sh scripts/ensure-tool.sh pdftotext poppler-utils "The PDF test"
	@sh scripts/ensure-tool.sh "$${CHROMIUM:-chromium}" chromium "The layout test"
	@mkdir -p $(BUILDDIR)
	$(BIN)/python -m pytest --junitxml=$(BUILDDIR)/test-results.xml

html: $(INSTALLED) graphviz
	@# Preflight: a missing or wrong tree is one clear line here, not a Sphinx crash report;
	@# it also parses Kconfig once before the parallel build reads the cache.
	@$(BIN)/secguide kconfig info >/dev/null
	@$(BIN)/python conf.py
	SECGUIDE_JOBS=$(BOARD_JOBS) $(BIN)/sphinx-build -b html $(SPHINXOPTS) -c . source $(BUILDDIR)/html
	@echo "The guide is in $(BUILDDIR)/html/index.html"

# One single-page HTML build laid out by WeasyPrint (scripts/pdf.py says why its own CSS).
pdf: pango graphviz
	@$(BIN)/secguide kconfig info >/dev/null
	@$(BIN)/python conf.py
	SECGUIDE_JOBS=$(BOARD_JOBS) $(BIN)/sphinx-build -b singlehtml $(SPHINXOPTS) -c . source $(BUILDDIR)/singlehtml
	$(BIN)/python scripts/pdf.py --html $(BUILDDIR)/singlehtml --out $(BUILDDIR)/pdf/zephyr-security-guide.pdf

# RESULTS="a.xml twister.json" adds test results; SOURCE_DATE_EPOCH makes it reproducible.
evidence: $(INSTALLED)
	$(BIN)/secguide export --out $(BUILDDIR)/evidence $(foreach f,$(RESULTS),--results $(f))

bench: $(INSTALLED)
	$(BIN)/python scripts/bench.py --scales "$(BENCH_SCALES)"

screenshots: html
	@sh scripts/ensure-tool.sh "$${CHROMIUM:-chromium}" chromium "make screenshots"
	$(BIN)/python scripts/screenshots.py --html $(BUILDDIR)/html --out $(BUILDDIR)/screenshots $(SCREENSHOTS)

contrast: html
	@sh scripts/ensure-tool.sh "$${CHROMIUM:-chromium}" chromium "make contrast"
	$(BIN)/python scripts/contrast.py --html $(BUILDDIR)/html

lint: $(INSTALLED)
	$(BIN)/ruff check ext tests scripts conf.py
	$(BIN)/lint-imports

clean:
	rm -rf $(BUILDDIR) .pytest_cache .ruff_cache .import_linter_cache .grimp_cache
