# Switchboard: every command a developer or CI needs. `make help` lists them.
# All work is done by the project's stdlib-only stack manager, tools/devstack.

PYTHON ?= python3
DEVSTACK = PYTHONPATH=tools $(PYTHON) -m devstack

.DEFAULT_GOAL := help
.PHONY: help up down test status install lock clean-state

help: ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-12s %s\n", $$1, $$2}'

up: ## install what is missing, start Kafka, FerretDB and the five services with the demo tenant
	@$(DEVSTACK) up

down: ## stop exactly what `make up` started
	@$(DEVSTACK) down

test: ## install what is missing, start a private test stack, run every test, stop it
	@$(DEVSTACK) test

status: ## what is installed and running
	@$(DEVSTACK) status

install: ## only install: Python environments, Kafka jars, FerretDB binary (cached outside the repo)
	@$(DEVSTACK) install

lock: ## re-resolve requirements/*.in into the pinned requirements/*.lock files
	@$(DEVSTACK) lock

clean-state: ## delete local data of stopped stacks (.run/); caches are kept
	@$(DEVSTACK) clean-state
