# ManipTrans on real hardware: the developer entry points. `make help` lists them.
SHELL := /bin/bash
PY ?= python3
ENV := . ./env.sh &&

.PHONY: help setup build test test-fast lint format bench clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

setup:  ## one-time (idempotent) set-up: Debian packages, .venv, pinned deps, colcon build, env.sh
	$(PY) tools/workspace_setup.py

build:  ## rebuild the colcon workspace if its build files changed (quick when nothing did)
	$(PY) tools/workspace_setup.py --skip-apt

lint:  ## ruff over the whole repository
	$(ENV) ruff check . && ruff format --check .

format:  ## apply ruff's formatter and autofixes
	$(ENV) ruff format . && ruff check --fix .

test: build lint  ## lint + the whole test suite (unit, multi-process ROS, mock-hardware end-to-end)
	$(ENV) python -m pytest; rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$rc

test-fast: build  ## the test suite without lint, stopping at the first failure
	$(ENV) python -m pytest -x -q

bench: build  ## every benchmark of the project -> bench/results.json and a readable table
	$(ENV) python -m bench

.PHONY: demo
demo: build  ## the main job on the mock rig: replay the default task, record a bag, print the report
	$(ENV) out=$${DEMO_OUT:-demo_out}/$$(date +%Y%m%d_%H%M%S) && \
	maniptrans-replay mock:=true record:=true bag:=$$out/bag $(DEMO_ARGS) && \
	maniptrans-report $$out/bag --out $$out/report

models: build  ## regenerate the robot models (URDF, MJCF, doc picture) from the parameter tables
	$(ENV) python -m maniptrans_description.generate

default-task: build  ## regenerate the committed default transferred task (Retarget-only lift_box, placed on the rig)
	rm -rf ros2_ws/src/maniptrans_bringup/tasks/default/lift_box_bih
	$(ENV) maniptrans-train export --task lift_box --seed 0 --on-rig --out ros2_ws/src/maniptrans_bringup/tasks/default

clean:  ## remove build products (keeps .venv)
	rm -rf ros2_ws/build ros2_ws/install ros2_ws/log env.sh .venv/.stamps/colcon
