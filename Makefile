# Switchboard: every command a developer or CI needs. `make help` lists them.
# All work is done by the project's stdlib-only stack manager, tools/devstack.

PYTHON ?= python3
DEVSTACK = PYTHONPATH=tools $(PYTHON) -m devstack

.DEFAULT_GOAL := help
.PHONY: help up down test lint status install lock clean-state model-qwen bench-generator bench-ingest bench-nlu bench-dialogue bench-tenancy bench-generator-rag bench-quality bench-quality-dev

help: ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-12s %s\n", $$1, $$2}'

up: ## install what is missing, start Kafka, FerretDB and the five services with the demo tenant
	@$(DEVSTACK) up

down: ## stop exactly what `make up` started
	@$(DEVSTACK) down

test: ## install what is missing, lint, start a private test stack, run every test, stop it (a lint finding fails it)
	@$(DEVSTACK) test

lint: ## ruff check and ruff format --check over the repository, with the pinned ruff of requirements/services-dev.in
	@$(DEVSTACK) lint

status: ## what is installed and running
	@$(DEVSTACK) status

install: ## only install: Python environments, Kafka jars, FerretDB binary (cached outside the repo)
	@$(DEVSTACK) install

lock: ## re-resolve requirements/*.in into the pinned requirements/*.lock files (production and -dev)
	@$(DEVSTACK) lock

clean-state: ## delete local data of stopped stacks (.run/); caches are kept
	@$(DEVSTACK) clean-state

model-qwen: ## download (about 1.1 GB, sha256-checked) and convert the optional Chinese-capable model into the cache; then set GENERATOR_MODEL__PRESET=qwen2.5-1.5b
	@$(DEVSTACK) install >/dev/null && .venvs/services/bin/python -m switchboard.generator.llm --preset qwen2.5-1.5b

bench-ingest: ## ingest latency: WeChat ack under a 4x retry storm, REST round trip, bare echo baseline (own stack)
	@export SWITCHBOARD_INSTANCE=$${SWITCHBOARD_INSTANCE:-bench}; \
	$(DEVSTACK) infra-up --profile test >/dev/null && \
	eval "$$($(DEVSTACK) infra-env --profile test | sed 's/^/export /')" && \
	.venvs/services/bin/python -m bench.ingest $(BENCH_ARGS); status=$$?; \
	$(DEVSTACK) infra-down --profile test >/dev/null; exit $$status

bench-nlu: ## NLU vs Rasa 3.6 DIET on demo, MultiWOZ and CrossWOZ splits (minutes; results in bench/nlu/results)
	@$(DEVSTACK) install >/dev/null && .venvs/services/bin/python bench/nlu/run.py $(BENCH_ARGS)

bench-dialogue: ## dialogue turn vs bare Rasa, and latency at turns 1/50/200 vs Rasa's tracker store (own stack; results in bench/dialogue/results)
	@export SWITCHBOARD_INSTANCE=$${SWITCHBOARD_INSTANCE:-bench}; \
	$(DEVSTACK) infra-up --profile test >/dev/null && \
	eval "$$($(DEVSTACK) infra-env --profile test | sed 's/^/export /')" && \
	.venvs/dialogue/bin/python -m bench.dialogue $(BENCH_ARGS); status=$$?; \
	$(DEVSTACK) infra-down --profile test >/dev/null; exit $$status

bench-tenancy: ## per-tenant load time and memory; template turns with 1 vs 2 and 10 tenants loaded, 8 conversations each; LRU reloads (own stack; results in bench/tenancy/results)
	@export SWITCHBOARD_INSTANCE=$${SWITCHBOARD_INSTANCE:-bench}; \
	$(DEVSTACK) infra-up --profile test >/dev/null && \
	eval "$$($(DEVSTACK) infra-env --profile test | sed 's/^/export /')" && \
	PYTHONPATH=tools .venvs/dialogue/bin/python -m bench.tenancy $(BENCH_ARGS); status=$$?; \
	$(DEVSTACK) infra-down --profile test >/dev/null; exit $$status

bench-generator: ## benchmark the generator's model runtime vs plain generate() (CPU, 1/4/8 concurrent)
	@$(DEVSTACK) install >/dev/null && .venvs/services/bin/python bench/generator/bench.py $(BENCH_ARGS)

bench-generator-rag: ## generator retrieval hit@3 vs dense-only and BM25; semantic cache hit rate, latency vs uncached, adversarial wrong hits
	@$(DEVSTACK) install >/dev/null && .venvs/services/bin/python -m bench.generator.rag $(BENCH_ARGS)

bench-quality: ## answer quality per language on the held-out demo set through all five services (own stack; BENCH_ARGS="--baseline HEAD~1" adds the previous commit side by side)
	@export SWITCHBOARD_INSTANCE=$${SWITCHBOARD_INSTANCE:-quality} SWITCHBOARD_KAFKA_PORT=$${SWITCHBOARD_KAFKA_PORT:-29092} \
	SWITCHBOARD_KAFKA_CONTROLLER_PORT=$${SWITCHBOARD_KAFKA_CONTROLLER_PORT:-29093} SWITCHBOARD_MONGO_PORT=$${SWITCHBOARD_MONGO_PORT:-27217}; \
	$(DEVSTACK) install >/dev/null && $(DEVSTACK) infra-up --profile test >/dev/null && \
	eval "$$($(DEVSTACK) infra-env --profile test | sed 's/^/export /')" && \
	PYTHONPATH=tools .venvs/services/bin/python -m bench.quality $(BENCH_ARGS); status=$$?; \
	$(DEVSTACK) infra-down --profile test >/dev/null; exit $$status

bench-quality-dev: ## answer quality on the development split (bench/quality/data/dev: tune on this, never on the held-out set); results in bench/quality/results/dev/
	@export SWITCHBOARD_INSTANCE=$${SWITCHBOARD_INSTANCE:-quality} SWITCHBOARD_KAFKA_PORT=$${SWITCHBOARD_KAFKA_PORT:-29092} \
	SWITCHBOARD_KAFKA_CONTROLLER_PORT=$${SWITCHBOARD_KAFKA_CONTROLLER_PORT:-29093} SWITCHBOARD_MONGO_PORT=$${SWITCHBOARD_MONGO_PORT:-27217}; \
	$(DEVSTACK) install >/dev/null && $(DEVSTACK) infra-up --profile test >/dev/null && \
	eval "$$($(DEVSTACK) infra-env --profile test | sed 's/^/export /')" && \
	PYTHONPATH=tools .venvs/services/bin/python -m bench.quality --split dev $(BENCH_ARGS); status=$$?; \
	$(DEVSTACK) infra-down --profile test >/dev/null; exit $$status
