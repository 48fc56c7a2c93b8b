# The course's two commands for a fresh machine:
#
#   make lab    set up a student's environment, then open the course in JupyterLab on notebooks/00_start_here.ipynb
#   make test   set up the test environment, then run the whole test suite (notebooks and browser test included)
#
# and a third for instructors:  make lab-instructor   (JupyterLab with nbgrader and the grader, to release and grade exercises)
#
# "Set up" means: a virtual environment in .venv (created when missing) with PyTorch and one of
# pyproject.toml's extras installed into it (`course` for make lab, `test` for make test, `instructor`
# for make lab-instructor), plus Debian's packages for the data and the browser test when this machine
# can install them (Debian-like and root). The three share one .venv, so PyTorch (gigabytes) is
# installed once; `test` and `instructor` add nbgrader and the grader (grading/, a distribution of its
# own that a student's set-up never installs) to it, and make lab then starts JupyterLab with nbgrader
# switched off (jupyter-student/ says how). Setting up again is a no-op until pyproject.toml or
# grading/pyproject.toml changes.

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

# PyTorch first, at the exact versions the course is tested with. Exact pins matter: a range lets pip
# pick a newer release and download gigabytes. On a machine where these are not available (another
# CPU architecture, another Python), override them: make lab TORCH_PACKAGES="torch torchvision"
TORCH_PACKAGES ?= torch==2.14.1 torchvision==0.29.1

# An extra's set-up is redone whenever either pyproject.toml's content changes (their hash names the stamp file).
HASH := $(shell cat pyproject.toml grading/pyproject.toml | cksum | cut -d' ' -f1)
stamp = $(VENV)/.set-up-$(1)-$(HASH)

# Jupyter configuration read before all others for make lab: nbgrader's server and lab extensions off.
STUDENT_CONFIG := $(CURDIR)/jupyter-student

COURSE_DEBS := dataset-fashion-mnist
TEST_DEBS := $(COURSE_DEBS) chromium chromium-driver bubblewrap

LAB_ARGS ?=
PYTEST_ARGS ?=
# JupyterLab refuses to run as root unless told that this is on purpose (containers, CI machines).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: lab lab-instructor test test-fast setup system-course system-test clean

# The server's root is the whole course (notebooks/, exercises/, solutions/answers/), and the lab opens on notebook 0.
lab: $(call stamp,course) system-course
	JUPYTER_CONFIG_PATH="$(STUDENT_CONFIG)" $(BIN)/jupyter lab $(ROOT_FLAG) --ServerApp.root_dir="$(CURDIR)" $(LAB_ARGS) notebooks/00_start_here.ipynb

lab-instructor: $(call stamp,instructor) system-course
	$(BIN)/jupyter lab $(ROOT_FLAG) $(LAB_ARGS)

# Two pytest workers (pytest-xdist): the suite's kernels, notebooks and training runs wait on each other less.
TEST_WORKERS ?= 2
test: $(call stamp,test) system-test
	$(BIN)/python -m pytest -ra --durations=15 -n $(TEST_WORKERS) $(PYTEST_ARGS)

# A maintainer's inner loop: everything that starts no kernel, trains nothing, runs no notebook and no browser.
FAST_TIER := not kernel and not training and not notebook and not browser and not slow
test-fast: $(call stamp,test)
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) -m "$(FAST_TIER)" $(PYTEST_ARGS)

setup: $(call stamp,course)

# The grader (grading/pyproject.toml) goes in with the instructor's and the test's extras, never a student's.
with_grader = $(if $(filter instructor test,$(1)),-e ./grading,)

# PyTorch, then the course with one extra (`course`, `instructor` or `test`, each holding the one before).
$(VENV)/.set-up-%-$(HASH): pyproject.toml grading/pyproject.toml
	@test -x $(BIN)/python || { echo "Creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install $(TORCH_PACKAGES)
	$(BIN)/python -m pip install -e '.[$*]' $(call with_grader,$*)
	@rm -f $(VENV)/.set-up-$*-*
	@touch $@

# Debian packages, installed only when missing, and only where apt-get can run as root;
# elsewhere say what was skipped and what that means for the course.
define install_debs
	@missing=""; \
	for package in $(1); do dpkg -s $$package >/dev/null 2>&1 || missing="$$missing $$package"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ -f /etc/debian_version ] && command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
		echo "Installing Debian packages:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	else \
		echo "Skipped installing$$missing: that needs apt-get as root on a Debian-like system."; \
		echo "  dataset-fashion-mnist: without it, load Fashion-MNIST with download=True (needs internet)."; \
		echo "  chromium: without it, tests/test_browser.py skips."; \
	fi
endef

system-course:
	$(call install_debs,$(COURSE_DEBS))

system-test:
	$(call install_debs,$(TEST_DEBS))

clean:
	rm -rf test-artifacts .pytest_cache
