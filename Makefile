# Entry points of the course. Each target bootstraps .venv from requirements.txt when needed.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: demo test lab release bench clean

$(STAMP): requirements.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet pip==26.3
	$(PY) -m pip install --quiet -r requirements.txt
	# Notebooks, tests and graders import the course package from the repository root.
	echo "$(CURDIR)" > $$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/course-root.pth
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m course demo-all

test: $(STAMP)
	$(PY) -m pytest -n 2 --dist loadfile tests

# A student's working copy of the released notebooks, made once and never overwritten.
lab: $(STAMP)
	@test -d work || { mkdir work && cp -r release/. work/ && echo "made your working copy in work/"; }
	$(VENV)/bin/jupyter lab --notebook-dir=work

release: $(STAMP)
	$(PY) -m course build

bench: $(STAMP)
	for script in benchmarks/*.py; do $(PY) $$script || exit 1; done

clean:
	rm -rf $(VENV) autograded/*/ submitted feedback gradebook.db reports
