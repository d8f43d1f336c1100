# Entry points of the course. Each target bootstraps .venv when needed: lab, demo and release
# from requirements.txt (the course), test and bench also from requirements-test.txt.
VENV   := .venv
PY     := $(VENV)/bin/python
COURSE := $(VENV)/.course-installed
STAMP  := $(VENV)/.installed
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: demo test lab release bench debian-packages clean

$(COURSE): requirements.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet pip==26.3
	$(PY) -m pip install --quiet -r requirements.txt
	# Notebooks, tests and graders import the course package from the repository root.
	echo "$(CURDIR)" > $$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/course-root.pth
	touch $(COURSE)

# Everything: the course and what the tests and benchmarks add.
$(STAMP): $(COURSE) requirements-test.txt
	$(PY) -m pip install --quiet -r requirements-test.txt
	touch $(STAMP)

# The Debian packages the tests use: installed when root, otherwise the sudo line to run.
debian-packages:
	@python3 scripts/debian_packages.py

demo: $(COURSE)
	$(PY) -m course demo-all

test: debian-packages $(STAMP)
	$(PY) -m pytest -n 2 --dist loadfile tests

# A student's working copy of the released notebooks, made once and never overwritten.
# Root (containers, cloud machines) needs --allow-root; the URL with its token is one line.
lab: $(COURSE)
	@test -d work || { mkdir work && cp -r release/. work/ && echo "made your working copy in work/"; }
	$(VENV)/bin/jupyter lab --notebook-dir=work $$(test "$$(id -u)" = 0 && echo --allow-root)

release: $(COURSE)
	$(PY) -m course build

# Every benchmark; the scale one with SUBMISSIONS submissions (the issue's figure: make bench SUBMISSIONS=1000).
SUBMISSIONS ?= 200
bench: $(STAMP)
	for script in benchmarks/*.py; do \
	  case $$script in *grading_scale.py) $(PY) $$script --submissions $(SUBMISSIONS) || exit 1;; \
	                   *) $(PY) $$script || exit 1;; esac; done

clean:
	rm -rf $(VENV) autograded/*/ submitted feedback gradebook.db reports
