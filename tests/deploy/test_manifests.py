"""Checks the services' Dockerfile and every kustomize base, and the shared components and overlays.

Reads the files only (pytest and PyYAML, no cluster, no kustomize binary), so it runs anywhere:
``python -m pytest --noconftest tests/deploy``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
BASES = DEPLOY / "base"
COMPONENTS = DEPLOY / "components"
LOCAL_OVERLAY = DEPLOY / "overlays" / "local"
DOCKERFILE = REPO / "Dockerfile"
# Written by `switchboard deploy configmaps` (lib/cli tests build the overlay with it), never kept in git.
GENERATED_TENANTS = LOCAL_OVERLAY / "tenants"

APP_UID = 10001
INFRA_CONFIGMAP = "switchboard-infra"
COMMON_LABELS = ("app.kubernetes.io/name", "app.kubernetes.io/component", "app.kubernetes.io/part-of")
BASE_KINDS = {"Deployment", "Service", "ServiceAccount", "PodDisruptionBudget"}


@dataclass(frozen=True)
class ServiceSpec:
    """What the code of one service fixes: its ports, Python, lock file and whether it reads a Secret."""

    name: str
    http_port: int
    grpc_port: int | None
    python: str
    lock: str
    secrets: bool
    loads_models: bool
    # The setting the image points at the tenants folder (the ConfigMaps are mounted there).
    tenants_variable: str

    @property
    def prefix(self) -> str:
        return self.name.upper() + "_"

    @property
    def ports(self) -> dict[str, int]:
        ports = {"http": self.http_port}
        if self.grpc_port is not None:
            ports["grpc"] = self.grpc_port
        return ports


SERVICES: dict[str, ServiceSpec] = {
    spec.name: spec
    for spec in (
        ServiceSpec("ingest", 8080, None, "3.11", "services.lock", True, False, "INGEST_TENANTS_DIR"),
        ServiceSpec("handoff", 8081, None, "3.11", "services.lock", True, False, "HANDOFF_TENANTS_DIR"),
        ServiceSpec("nlu", 8082, 50051, "3.11", "services.lock", False, True, "NLU_TENANTS_DIR"),
        ServiceSpec("generator", 8083, 50052, "3.11", "services.lock", False, True, "GENERATOR_KNOWLEDGE__TENANTS_DIR"),
        ServiceSpec("dialogue", 8084, None, "3.10", "dialogue.lock", False, True, "DIALOGUE_ASSISTANT__TENANTS_DIR"),
    )
}
NAMES = sorted(SERVICES)
# Where every image keeps the tenants' folders, and where the tenant ConfigMaps are mounted.
TENANTS_DIR = "/opt/tenants"
ACTIONS_PORT = 5055
TENANTS = REPO / "tenants"
# What tools/devstack/services.py reads from a tenant's endpoints.yml.
ACTION_URL = re.compile(r"url:\s*[\"']?\$\{(?P<variable>[A-Z0-9_]+)_ACTIONS_URL:-http://127\.0\.0\.1:(?P<port>\d+)/")


@dataclass(frozen=True)
class ActionServerSpec:
    """A shipped tenant's rasa_sdk action server: its base, and the variables it and dialogue read."""

    tenant: str

    @property
    def name(self) -> str:
        return f"actions-{self.tenant}"

    @property
    def prefix(self) -> str:
        return self.tenant.upper().replace("-", "_") + "_"

    @property
    def url_variable(self) -> str:
        return self.prefix + "ACTIONS_URL"


def shipped_action_servers() -> dict[str, ActionServerSpec]:
    """The tenants `make up` starts an action server for: an ``actions/`` package and an
    ``endpoints.yml`` naming ``<ID>_ACTIONS_URL``."""
    found = {}
    for endpoints in sorted(TENANTS.glob("*/endpoints.yml")):
        match = ACTION_URL.search(endpoints.read_text(encoding="utf-8"))
        if match and (endpoints.parent / "actions" / "__init__.py").is_file():
            spec = ActionServerSpec(endpoints.parent.name)
            assert match["variable"] + "_" == spec.prefix, f"{endpoints} reads {match['variable']}_ACTIONS_URL"
            found[spec.name] = spec
    return found


ACTION_SERVERS = shipped_action_servers()
ACTION_NAMES = sorted(ACTION_SERVERS)
BASE_NAMES = NAMES + ACTION_NAMES
LOCKS = {"services.lock", "dialogue.lock"}

# Seconds a model-loading service gets before liveness applies.
MIN_MODEL_STARTUP_S = 120


# --- loading -------------------------------------------------------------------------------------


def load_docs(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc is not None]


def load_kustomization(directory: Path) -> dict[str, Any]:
    path = directory / "kustomization.yaml"
    assert path.is_file(), f"{path.relative_to(REPO)} is missing"
    docs = load_docs(path)
    assert len(docs) == 1, f"{path.relative_to(REPO)} must hold one document"
    return docs[0]


def base_objects(service: str) -> list[dict[str, Any]]:
    """Every object the base's kustomization lists, in order."""
    base = BASES / service
    objects: list[dict[str, Any]] = []
    for entry in load_kustomization(base).get("resources", []):
        path = base / entry
        assert path.is_file(), f"deploy/base/{service} lists {entry}, which does not exist"
        objects.extend(load_docs(path))
    return objects


def one_of_kind(service: str, kind: str) -> dict[str, Any]:
    found = [obj for obj in base_objects(service) if obj.get("kind") == kind]
    assert len(found) == 1, f"deploy/base/{service} must define exactly one {kind}, found {len(found)}"
    return found[0]


def pod_spec(service: str) -> dict[str, Any]:
    return one_of_kind(service, "Deployment")["spec"]["template"]["spec"]


def main_container(service: str) -> dict[str, Any]:
    containers = {c["name"]: c for c in pod_spec(service)["containers"]}
    assert service in containers, f"the {service} Deployment has no container named {service}"
    return containers[service]


def container_port(container: dict[str, Any], port: int | str) -> int:
    """Resolves a probe's or Service's port, by number or by the container port's name."""
    if isinstance(port, int):
        return port
    by_name = {p["name"]: p["containerPort"] for p in container.get("ports", []) if "name" in p}
    assert port in by_name, f"container {container['name']} has no port named {port!r}"
    return by_name[port]


def env_by_name(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in container.get("env", [])}


def quantity(value: Any) -> float:
    """A Kubernetes quantity (``500m``, ``2``, ``512Mi``, ``1G``) as a plain number."""
    text = str(value)
    suffixes = {"m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}
    match = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", text)
    assert match, f"not a quantity: {text!r}"
    number, suffix = match.groups()
    assert suffix in suffixes or suffix == "", f"unknown quantity suffix in {text!r}"
    return float(number) * suffixes.get(suffix, 1)


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str

    @property
    def flags(self) -> list[str]:
        return re.findall(r"--[a-z-]+=\S+", self.args)


@dataclass(frozen=True)
class Stage:
    """One FROM of the Dockerfile: what it starts from (an image or an earlier stage) and its instructions."""

    base: str
    name: str
    instructions: tuple[Instruction, ...]

    def of(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]


def dockerfile_stages(service: str) -> list[Stage]:
    """The Dockerfile's stages as built with ``--build-arg SERVICE=<service>`` (continuations joined,
    comments dropped, ``${SERVICE}`` substituted)."""
    assert DOCKERFILE.is_file(), "the Dockerfile is missing at the repository root"
    logical: list[str] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        logical.append(pending + stripped)
        pending = ""
    assert not pending, "the Dockerfile ends inside a line continuation"
    stages: list[tuple[str, str, list[Instruction]]] = []
    for line in logical:
        keyword, _, args = line.partition(" ")
        args = " ".join(args.split()).replace("${SERVICE}", service)
        instruction = Instruction(keyword.upper(), args)
        if instruction.keyword == "FROM":
            base, *rest = args.split()
            stages.append((base, rest[1] if len(rest) == 2 and rest[0].upper() == "AS" else "", []))
        elif instruction.keyword == "ARG" and not stages:
            continue
        assert stages, f"the Dockerfile has {keyword} before its first FROM"
        stages[-1][2].append(instruction)
    return [Stage(base, name, tuple(found)) for base, name, found in stages]


def lineage(stages: list[Stage], stage: Stage) -> list[Stage]:
    """``stage`` and the stages it starts from, the one FROM an image first."""
    by_name = {s.name: s for s in stages if s.name}
    chain = [stage]
    while chain[0].base in by_name:
        chain.insert(0, by_name[chain[0].base])
    return chain


def image_stages(service: str) -> tuple[list[Stage], list[Stage]]:
    """The stages the service's image is built from (those it copies from included) and, of
    those, the lineage of the final stage: the image that runs."""
    stages = dockerfile_stages(service)
    by_name = {s.name: s for s in stages if s.name}
    runtime = lineage(stages, stages[-1])
    used: list[Stage] = []
    todo = list(runtime)
    while todo:
        stage = todo.pop()
        if stage in used:
            continue
        used.append(stage)
        todo += lineage(stages, stage)[:-1]
        for copy in stage.of("COPY"):
            todo += [by_name[flag.split("=", 1)[1]] for flag in copy.flags if flag.startswith("--from=")]
    return used, runtime


def instructions(stages: list[Stage], keyword: str) -> list[Instruction]:
    return [i for stage in stages for i in stage.of(keyword)]


def all_kustomizations() -> list[Path]:
    return sorted(path.parent for path in DEPLOY.rglob("kustomization.yaml"))


# --- every service has the same deploy skeleton --------------------------------------------------


def test_every_service_directory_has_a_deploy_spec() -> None:
    on_disk = {path.parent.name for path in (REPO / "services").glob("*/pyproject.toml")}
    assert on_disk == set(SERVICES), (
        "services/ and this test's SERVICES disagree; a new service needs a stage in the Dockerfile, "
        f"a deploy/base and an entry here (on disk: {sorted(on_disk)}, known: {NAMES})"
    )


@pytest.mark.parametrize("service", NAMES)
def test_service_has_a_base_and_an_image_stage(service: str) -> None:
    assert any(stage.name == service for stage in dockerfile_stages(service)), f"the Dockerfile has no {service} stage"
    assert (BASES / service / "kustomization.yaml").is_file(), f"deploy/base/{service}/kustomization.yaml is missing"


@pytest.mark.parametrize("directory", all_kustomizations(), ids=lambda p: str(p.relative_to(DEPLOY)))
def test_kustomization_references_exist(directory: Path) -> None:
    kustomization = load_kustomization(directory)
    where = directory.relative_to(REPO)
    for entry in [*kustomization.get("resources", []), *kustomization.get("components", [])]:
        target = directory / entry
        if target == GENERATED_TENANTS:
            continue
        assert target.is_file() or (target / "kustomization.yaml").is_file(), (
            f"{where} lists {entry}, which does not exist"
        )
    for patch in kustomization.get("patches", []):
        assert "path" in patch or "patch" in patch, f"{where} has a patch with neither path nor patch"
        if "path" in patch:
            assert (directory / patch["path"]).is_file(), f"{where} patches with {patch['path']}, which does not exist"


@pytest.mark.parametrize("service", BASE_NAMES)
def test_base_lists_every_manifest_it_holds_and_nothing_else(service: str) -> None:
    base = BASES / service
    listed = set(load_kustomization(base).get("resources", []))
    present = {path.name for path in base.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == present, f"deploy/base/{service}: files {sorted(present)} but resources {sorted(listed)}"
    kinds = sorted(obj["kind"] for obj in base_objects(service))
    assert set(kinds) == BASE_KINDS and len(kinds) == len(BASE_KINDS), f"deploy/base/{service} holds {kinds}"


@pytest.mark.parametrize("service", BASE_NAMES)
def test_base_is_namespace_agnostic(service: str) -> None:
    assert "namespace" not in load_kustomization(BASES / service), "a base must deploy into any namespace"
    for obj in base_objects(service):
        assert "namespace" not in obj["metadata"], f"{obj['kind']} {obj['metadata']['name']} pins a namespace"


@pytest.mark.parametrize("service", BASE_NAMES)
def test_labels_and_selectors_agree(service: str) -> None:
    components = set()
    for obj in base_objects(service):
        labels = obj["metadata"].get("labels", {})
        what = f"{obj['kind']} of deploy/base/{service}"
        assert obj["metadata"]["name"] == service, f"{what} is named {obj['metadata']['name']!r}"
        for label in COMMON_LABELS:
            assert label in labels, f"{what} lacks the label {label}"
        assert labels["app.kubernetes.io/name"] == service, f"{what} has the wrong app.kubernetes.io/name"
        assert labels["app.kubernetes.io/part-of"] == "switchboard", f"{what} is not part-of switchboard"
        components.add(labels["app.kubernetes.io/component"])
    assert len(components) == 1, f"deploy/base/{service} uses several component labels: {sorted(components)}"

    deployment = one_of_kind(service, "Deployment")
    selector = deployment["spec"]["selector"]["matchLabels"]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert selector.items() <= pod_labels.items(), "the Deployment's selector does not match its own pods"
    for label in COMMON_LABELS:
        assert label in pod_labels, f"the {service} pod template lacks the label {label}"
    assert one_of_kind(service, "Service")["spec"]["selector"] == selector, "the Service selects other pods"
    assert one_of_kind(service, "PodDisruptionBudget")["spec"]["selector"]["matchLabels"] == selector, (
        "the PodDisruptionBudget selects other pods"
    )


# --- Deployment ----------------------------------------------------------------------------------


@pytest.mark.parametrize("service", BASE_NAMES)
def test_pod_runs_non_root_and_locked_down(service: str) -> None:
    pod = pod_spec(service)
    pod_context = pod.get("securityContext", {})
    assert pod_context.get("runAsNonRoot") is True, "pod securityContext.runAsNonRoot must be true"
    assert pod_context.get("runAsUser") == APP_UID, f"pod securityContext.runAsUser must be {APP_UID}"
    assert pod_context.get("seccompProfile", {}).get("type") == "RuntimeDefault", "pod needs seccomp RuntimeDefault"
    for flag in ("hostNetwork", "hostPID", "hostIPC"):
        assert not pod.get(flag), f"pod must not set {flag}"
    assert pod.get("automountServiceAccountToken") is False, "pod must not mount a service account token"
    assert pod.get("serviceAccountName") == service, "pod must run as the base's own ServiceAccount"
    assert one_of_kind(service, "ServiceAccount").get("automountServiceAccountToken") is False

    context = main_container(service).get("securityContext", {})
    assert context.get("readOnlyRootFilesystem") is True, "container needs readOnlyRootFilesystem: true"
    assert context.get("allowPrivilegeEscalation") is False, "container needs allowPrivilegeEscalation: false"
    assert context.get("privileged", False) is False, "container must not be privileged"
    capabilities = context.get("capabilities", {})
    assert capabilities.get("drop") == ["ALL"], "container must drop ALL capabilities"
    assert not capabilities.get("add"), "container must add no capabilities"
    assert context.get("runAsNonRoot", pod_context.get("runAsNonRoot")) is True
    assert context.get("runAsUser", pod_context.get("runAsUser")) == APP_UID


@pytest.mark.parametrize("service", BASE_NAMES)
def test_writable_paths_are_empty_dirs(service: str) -> None:
    pod = pod_spec(service)
    volumes = {volume["name"]: volume for volume in pod.get("volumes", [])}
    for name, volume in volumes.items():
        assert set(volume) == {"name", "emptyDir"}, f"volume {name} must be an emptyDir"
        assert "sizeLimit" in volume["emptyDir"], f"emptyDir {name} needs a sizeLimit"
    mounts = {mount["mountPath"]: mount["name"] for mount in main_container(service).get("volumeMounts", [])}
    assert "/tmp" in mounts, "the read-only root filesystem needs an emptyDir at /tmp"
    for path, name in mounts.items():
        assert name in volumes, f"{path} mounts the undefined volume {name}"
    if service == "generator":
        cache = env_by_name(main_container(service)).get("GENERATOR_MODEL__CACHE_DIR", {}).get("value")
        assert cache, "generator needs GENERATOR_MODEL__CACHE_DIR"
        assert cache in mounts, f"the model cache {cache} must be a mounted emptyDir"


@pytest.mark.parametrize("service", NAMES)
def test_container_ports(service: str) -> None:
    container = main_container(service)
    ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
    assert ports == SERVICES[service].ports, f"{service} container ports {ports}, expected {SERVICES[service].ports}"
    assert container["image"].split(":")[0] == f"switchboard/{service}", "image name must be switchboard/<service>"


@pytest.mark.parametrize("service", NAMES)
def test_probes_hit_health_endpoints_on_the_http_port(service: str) -> None:
    container = main_container(service)
    expected = {"livenessProbe": "/healthz", "readinessProbe": "/readyz", "startupProbe": "/healthz"}
    for probe_name, path in expected.items():
        probe = container.get(probe_name)
        assert probe, f"{service} has no {probe_name}"
        http_get = probe.get("httpGet", {})
        assert http_get.get("path") == path, f"{service} {probe_name} must GET {path}"
        port = container_port(container, http_get.get("port"))
        assert port == SERVICES[service].http_port, f"{service} {probe_name} probes port {port}"
    if SERVICES[service].loads_models:
        startup = container["startupProbe"]
        budget = startup.get("periodSeconds", 10) * startup.get("failureThreshold", 3)
        assert budget >= MIN_MODEL_STARTUP_S, f"{service} loads models but its startupProbe allows only {budget} s"


@pytest.mark.parametrize("service", BASE_NAMES)
def test_requests_and_limits(service: str) -> None:
    resources = main_container(service).get("resources", {})
    for resource in ("cpu", "memory"):
        request = resources.get("requests", {}).get(resource)
        limit = resources.get("limits", {}).get(resource)
        assert request is not None, f"{service} needs a {resource} request"
        assert limit is not None, f"{service} needs a {resource} limit"
        assert quantity(request) <= quantity(limit), f"{service} {resource} request {request} exceeds limit {limit}"


@pytest.mark.parametrize("service", NAMES)
def test_environment_comes_from_the_infra_configmap(service: str) -> None:
    spec = SERVICES[service]
    container = main_container(service)
    env = env_by_name(container)
    # dialogue also sets each tenant's <ID>_ACTIONS_URL, which the tenant's endpoints.yml reads.
    action_urls = {s.url_variable for s in ACTION_SERVERS.values()} if service == "dialogue" else set()
    for name in env:
        assert name.startswith(spec.prefix) or name in action_urls, (
            f"{service} sets {name}, outside its {spec.prefix} settings"
        )

    for variable, key in (("KAFKA__BOOTSTRAP_SERVERS", "KAFKA_BOOTSTRAP_SERVERS"), ("MONGO__URI", "MONGO_URI")):
        ref = env.get(spec.prefix + variable, {}).get("valueFrom", {}).get("configMapKeyRef", {})
        assert ref.get("name") == INFRA_CONFIGMAP, f"{spec.prefix}{variable} must come from {INFRA_CONFIGMAP}"
        assert ref.get("key") == key, f"{spec.prefix}{variable} must read the key {key}"
        assert not ref.get("optional", False), f"{spec.prefix}{variable} is required"
    # deploy/README.md patches env/1 to move the database URI into a Secret.
    assert container["env"][1]["name"] == spec.prefix + "MONGO__URI", "the database URI must stay the second env entry"

    def value(name: str) -> str | None:
        return env.get(spec.prefix + name, {}).get("value")

    assert value("HTTP__HOST") == "0.0.0.0", "the HTTP server must listen on every interface"
    assert value("HTTP__PORT") == str(spec.http_port), f"{spec.prefix}HTTP__PORT must be {spec.http_port}"
    if spec.grpc_port is not None:
        assert value("GRPC__HOST") == "0.0.0.0", "the gRPC server must listen on every interface"
        assert value("GRPC__PORT") == str(spec.grpc_port), f"{spec.prefix}GRPC__PORT must be {spec.grpc_port}"
    else:
        assert value("GRPC__PORT") is None, f"{service} serves no gRPC"

    grace = pod_spec(service).get("terminationGracePeriodSeconds", 30)
    drain = float(value("DRAIN_TIMEOUT_S") or 20)
    assert drain < grace, f"drain timeout {drain} s must end before terminationGracePeriodSeconds {grace}"


@pytest.mark.parametrize("service", NAMES)
def test_secrets_come_from_the_operator_secret(service: str) -> None:
    refs = [source["secretRef"] for source in main_container(service).get("envFrom", []) if "secretRef" in source]
    if SERVICES[service].secrets:
        assert refs == [{"name": f"{service}-secrets", "optional": False}], (
            f"{service} must read the Secret {service}-secrets with optional: false"
        )
    else:
        assert refs == [], f"{service} reads no secrets"
    for item in main_container(service).get("env", []):
        assert "secretKeyRef" not in item.get("valueFrom", {}), "secrets come in through envFrom"


@pytest.mark.parametrize("service", NAMES)
def test_prometheus_scrapes_the_http_port(service: str) -> None:
    annotations = one_of_kind(service, "Deployment")["spec"]["template"]["metadata"].get("annotations", {})
    assert annotations.get("prometheus.io/scrape") == "true", f"{service} pods need prometheus.io/scrape"
    port = SERVICES[service].http_port
    assert annotations.get("prometheus.io/port") == str(port), f"{service} serves /metrics on {port}"
    assert annotations.get("prometheus.io/path") == "/metrics", f"{service} serves /metrics"


# --- Service and PodDisruptionBudget -------------------------------------------------------------


@pytest.mark.parametrize("service", NAMES)
def test_service_exposes_the_right_ports(service: str) -> None:
    manifest = one_of_kind(service, "Service")
    assert manifest["spec"].get("type", "ClusterIP") == "ClusterIP", "Services stay inside the cluster"
    ports = {p["name"]: p for p in manifest["spec"]["ports"]}
    expected = SERVICES[service].ports
    assert set(ports) == set(expected), f"{service} Service ports {sorted(ports)}, expected {sorted(expected)}"
    container = main_container(service)
    for name, number in expected.items():
        assert ports[name]["port"] == number, f"{service} Service port {name} must be {number}"
        target = container_port(container, ports[name].get("targetPort", number))
        assert target == number, f"{service} Service port {name} targets {target}"


@pytest.mark.parametrize("service", BASE_NAMES)
def test_disruption_budget_never_blocks_a_single_replica_drain(service: str) -> None:
    budget = one_of_kind(service, "PodDisruptionBudget")["spec"]
    assert "minAvailable" not in budget, "minAvailable blocks drains of a single replica"
    assert budget.get("maxUnavailable", 0) not in (0, "0%"), "maxUnavailable must allow an eviction"


# --- action servers ------------------------------------------------------------------------------


def test_every_shipped_action_server_has_a_base() -> None:
    on_disk = {path.parent.name for path in BASES.glob("actions-*/kustomization.yaml")}
    assert ACTION_NAMES, "the shipped tenants have action servers (tenants/*/actions, endpoints.yml)"
    assert on_disk == set(ACTION_NAMES), (
        f"deploy/base/actions-* {sorted(on_disk)} and the tenants with an action server {ACTION_NAMES} disagree"
    )


@pytest.mark.parametrize("server", ACTION_NAMES)
def test_action_server_runs_the_tenant_actions_like_devstack(server: str) -> None:
    spec = ACTION_SERVERS[server]
    container = main_container(server)
    assert container["image"].split(":")[0] == "switchboard/dialogue", "rasa_sdk is in the dialogue environment"
    # tools/devstack/services.py: python -m rasa_sdk --actions actions --port <port>, from the tenant's folder.
    assert container["command"] == ["python", "-m", "rasa_sdk", "--actions", "actions", "--port", str(ACTIONS_PORT)]
    assert not container.get("args"), "the whole command line is in command"
    assert container["workingDir"] == f"{TENANTS_DIR}/{spec.tenant}", "rasa_sdk imports actions/ from the tenant folder"
    assert {p["name"]: p["containerPort"] for p in container["ports"]} == {"http": ACTIONS_PORT}
    for probe_name in ("startupProbe", "livenessProbe", "readinessProbe"):
        http_get = container[probe_name]["httpGet"]
        assert http_get["path"] == "/health", f"{server} {probe_name} must GET rasa_sdk's /health"
        assert container_port(container, http_get["port"]) == ACTIONS_PORT


@pytest.mark.parametrize("server", ACTION_NAMES)
def test_action_server_reads_its_tenant_database_only(server: str) -> None:
    spec = ACTION_SERVERS[server]
    container = main_container(server)
    env = env_by_name(container)
    for name in env:
        assert name.startswith(spec.prefix), f"{server} sets {name}: an action server reads {spec.prefix}* only"
    ref = env.get(spec.prefix + "MONGO_URI", {}).get("valueFrom", {}).get("configMapKeyRef", {})
    assert ref == {"name": INFRA_CONFIGMAP, "key": "MONGO_URI"}, f"{spec.prefix}MONGO_URI comes from {INFRA_CONFIGMAP}"
    actions = "".join(path.read_text(encoding="utf-8") for path in (TENANTS / spec.tenant / "actions").glob("*.py"))
    assert f"{spec.prefix}MONGO_URI" in actions, f"tenants/{spec.tenant}/actions reads no {spec.prefix}MONGO_URI"
    assert not container.get("envFrom"), "an action server reads no Secret"


@pytest.mark.parametrize("server", ACTION_NAMES)
def test_action_server_service_and_dialogue_agree(server: str) -> None:
    spec = ACTION_SERVERS[server]
    ports = {p["name"]: p for p in one_of_kind(server, "Service")["spec"]["ports"]}
    assert set(ports) == {"http"} and ports["http"]["port"] == ACTIONS_PORT
    assert container_port(main_container(server), ports["http"]["targetPort"]) == ACTIONS_PORT
    url = env_by_name(main_container("dialogue")).get(spec.url_variable, {}).get("value")
    assert url == f"http://{server}:{ACTIONS_PORT}/webhook", (
        f"dialogue's {spec.url_variable} must name the Service {server} (tenants/{spec.tenant}/endpoints.yml reads it)"
    )


def test_dialogue_names_no_action_server_that_is_not_deployed() -> None:
    env = env_by_name(main_container("dialogue"))
    urls = {name for name in env if name.endswith("_ACTIONS_URL")}
    assert urls == {spec.url_variable for spec in ACTION_SERVERS.values()}, f"dialogue sets {sorted(urls)}"


# --- Dockerfile ----------------------------------------------------------------------------------


@pytest.mark.parametrize("service", NAMES)
def test_dockerfile_base_images(service: str) -> None:
    used, runtime = image_stages(service)
    python = f"python:{SERVICES[service].python}-slim"
    names = {stage.name for stage in dockerfile_stages(service)}
    for stage in used:
        assert stage.base in names or stage.base == python, f"{service} builds FROM {stage.base}, not {python}"
    assert any(stage.of("RUN") and "apt-get" in " ".join(i.args for i in stage.of("RUN")) for stage in used), (
        "the build stages must be separate from the runtime stage"
    )
    assert runtime[0].base == python, "the runtime stage must start from a clean base"


@pytest.mark.parametrize("service", NAMES)
def test_dockerfile_installs_only_its_production_lock_with_a_pip_cache(service: str) -> None:
    lock = SERVICES[service].lock
    used, runtime = image_stages(service)
    locks = [i.args for i in instructions(runtime, "ENV") if "SWITCHBOARD_LOCK=" in i.args]
    assert locks and locks[-1].endswith(f"SWITCHBOARD_LOCK={lock}"), f"{service} belongs to {lock}"
    assert "-dev" not in DOCKERFILE.read_text(encoding="utf-8"), "dev locks never go into an image"
    runs = instructions(used, "RUN")
    installs = [run for run in runs if re.search(r"pip install --no-deps -r \S*\$SWITCHBOARD_LOCK", run.args)]
    assert len(installs) == 1, f"{service} must `pip install --no-deps -r` requirements/$SWITCHBOARD_LOCK once"
    assert "--mount=type=cache,target=/root/.cache/pip" in installs[0].flags, "the lock install needs pip's cache"
    assert "--mount=type=bind,source=requirements,target=/tmp/requirements" in installs[0].flags
    local = [run for run in runs if re.search(rf"pip install --no-deps .*\./services/{service}\b", run.args)]
    assert local and "./lib/core" in local[0].args, f"{service} must install ./lib/core and ./services/{service}"


@pytest.mark.parametrize("service", NAMES)
def test_dockerfile_copies_only_proto_core_and_the_service(service: str) -> None:
    used, runtime = image_stages(service)
    allowed = {"proto/", "lib/core/", f"services/{service}/"}
    # Tenant folders (channel files, NLU data, knowledge) ship as defaults; deployments mount their own.
    # The licence text ships with the application.
    optional = {"tenants/", "LICENSE/"}
    copied: set[str] = set()
    assert not instructions(used, "ADD"), "use COPY, not ADD"
    for copy in instructions(used, "COPY"):
        if any(flag.startswith("--from=") for flag in copy.flags):
            continue
        *sources, _destination = [arg for arg in copy.args.split() if not arg.startswith("--")]
        for source in sources:
            normalized = source.rstrip("/") + "/"
            assert normalized in allowed | optional, f"{service} copies {source}; only {sorted(allowed)} belong"
            copied.add(normalized)
    assert copied - optional == allowed, f"{service} must copy {sorted(allowed)}, copies {sorted(copied)}"
    build = [stage for stage in used if stage not in runtime]
    protogen = [i for i in instructions(build, "RUN") if "switchboard.core.protogen" in i.args]
    assert protogen, "the stubs must be generated in a build stage with switchboard.core.protogen"


@pytest.mark.parametrize("service", NAMES)
def test_dockerfile_runtime_stage(service: str) -> None:
    spec = SERVICES[service]
    _, runtime = image_stages(service)
    users = instructions(runtime, "USER")
    assert users, "the runtime stage must switch to a non-root USER"
    user, _, group = users[-1].args.partition(":")
    assert user == str(APP_UID) and group in ("", str(APP_UID)), (
        f"USER must be {APP_UID}:{APP_UID}, not {users[-1].args}"
    )
    for run in instructions(runtime, "RUN"):
        for tool in ("apt-get", "pip install", "build-essential", "gcc"):
            assert tool not in run.args, f"the runtime stage must not run {tool}"

    env_text = " ".join(i.args for i in instructions(runtime, "ENV"))
    assert re.search(r"(^|\s)PYTHONUNBUFFERED=1(\s|$)", env_text), "the runtime stage needs PYTHONUNBUFFERED=1"
    assert f"{spec.prefix}HTTP__HOST=0.0.0.0" in env_text, "the image must listen on every interface"
    others = [name for name in NAMES if name != service]
    assert not any(f"{SERVICES[other].prefix}HTTP__HOST" in env_text for other in others), (
        f"the {service} image carries another service's settings"
    )

    exposed = {int(port.split("/")[0]) for i in instructions(runtime, "EXPOSE") for port in i.args.split()}
    assert exposed == set(spec.ports.values()), f"{service} EXPOSEs {sorted(exposed)}"

    assert f"{spec.tenants_variable}={TENANTS_DIR}" in env_text, (
        f"the image must point {spec.tenants_variable} at {TENANTS_DIR}, where the tenant ConfigMaps are mounted"
    )
    setting = spec.tenants_variable.removeprefix(spec.prefix).split("__")[-1].lower()
    settings_source = (REPO / "services" / service / "src" / "switchboard" / service / "settings.py").read_text(
        encoding="utf-8"
    )
    assert re.search(rf"^\s+{setting}: ", settings_source, re.MULTILINE), f"{service} has no setting {setting}"

    entrypoints = instructions(runtime, "ENTRYPOINT")
    assert entrypoints, "the runtime stage needs an ENTRYPOINT"
    assert json.loads(entrypoints[-1].args) == ["python", "-m", f"switchboard.{service}"], (
        f"ENTRYPOINT must be the exec form of python -m switchboard.{service}"
    )


def dockerignore_excludes(patterns: list[str], path: str) -> bool:
    """Docker's rule: the last matching pattern wins; a path is excluded with an excluded parent."""

    def to_regex(pattern: str) -> re.Pattern[str]:
        out, i = "", 0
        while i < len(pattern):
            if pattern.startswith("**/", i):
                out, i = out + "(?:.*/)?", i + 3
            elif pattern.startswith("**", i):
                out, i = out + ".*", i + 2
            elif pattern[i] == "*":
                out, i = out + "[^/]*", i + 1
            elif pattern[i] == "?":
                out, i = out + "[^/]", i + 1
            elif pattern[i] == "[":
                end = pattern.index("]", i)
                out, i = out + pattern[i : end + 1], end + 1
            else:
                out, i = out + re.escape(pattern[i]), i + 1
        return re.compile(out + "$")

    parts = path.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    excluded = False
    for raw in patterns:
        negated = raw.startswith("!")
        regex = to_regex(raw.lstrip("!").strip("/"))
        if any(regex.match(prefix) for prefix in prefixes):
            excluded = not negated
    return excluded


def test_dockerignore_keeps_local_state_out_and_sources_in() -> None:
    path = REPO / ".dockerignore"
    assert path.is_file(), ".dockerignore is missing at the repository root"
    patterns = [
        line.strip()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    unwanted = (
        ".git/HEAD",
        ".venvs/services/bin/python",
        ".run/kafka/log",
        "bench/results/run.json",
        "lib/core/src/switchboard/core/__pycache__/settings.cpython-311.pyc",
        "services/nlu/.pytest_cache/v",
        "requirements/services-dev.lock",
        "requirements/dialogue-dev.lock",
    )
    for path_in_context in unwanted:
        assert dockerignore_excludes(patterns, path_in_context), f".dockerignore lets {path_in_context} in"
    needed = [
        "proto/switchboard/events/v1/envelope.proto",
        "lib/core/pyproject.toml",
        "lib/core/src/switchboard/core/__init__.py",
        "requirements/services.lock",
        "requirements/dialogue.lock",
        "tenants/demo/tenant.yaml",
        "LICENSE",
    ]
    for service in NAMES:
        needed += [f"services/{service}/pyproject.toml", f"services/{service}/src/switchboard/{service}/__main__.py"]
    for wanted in needed:
        assert not dockerignore_excludes(patterns, wanted), f".dockerignore drops {wanted}, which the images need"


# --- components and overlays ---------------------------------------------------------------------


def component_objects(name: str) -> list[dict[str, Any]]:
    directory = COMPONENTS / name
    kustomization = load_kustomization(directory)
    assert kustomization.get("kind") == "Component", f"deploy/components/{name} must be a kustomize Component"
    return [obj for entry in kustomization.get("resources", []) for obj in load_docs(directory / entry)]


def test_gpu_generator_component() -> None:
    directory = COMPONENTS / "gpu-generator"
    kustomization = load_kustomization(directory)
    assert kustomization.get("kind") == "Component"
    patches = kustomization.get("patches", [])
    assert len(patches) == 1 and patches[0]["target"]["kind"] == "Deployment"
    assert patches[0]["target"]["name"] == "generator"
    patch = load_docs(directory / patches[0]["path"])[0]
    pod = patch["spec"]["template"]["spec"]
    containers = {c["name"]: c for c in pod["containers"]}
    assert set(containers) == {"generator"}, "the patch must target the generator container by its name"
    container = containers["generator"]
    assert container["resources"]["limits"].get("nvidia.com/gpu") == 1, "the generator needs one GPU"
    assert env_by_name(container)["GENERATOR_MODEL__DEVICE"]["value"] == "cuda"
    assert pod.get("nodeSelector") or pod.get("tolerations"), "GPU pods must land on GPU nodes"
    base_volumes = {volume["name"] for volume in pod_spec("generator").get("volumes", [])}
    for volume in pod.get("volumes", []):
        assert volume["name"] in base_volumes, f"the patch adds the unmounted volume {volume['name']}"
    assert "GENERATOR_MODEL__DEVICE" in env_by_name(main_container("generator")), "the base sets the device too"


def selected_services(selector: dict[str, Any]) -> set[str]:
    """The bases (services and action servers) whose pods a label selector picks."""
    pod_labels = {
        name: one_of_kind(name, "Deployment")["spec"]["template"]["metadata"]["labels"] for name in BASE_NAMES
    }
    known = {key for labels in pod_labels.values() for key in labels}
    chosen = set(BASE_NAMES)
    for key, value in selector.get("matchLabels", {}).items():
        assert key in known, f"selector on unknown label {key}"
        chosen = {name for name in chosen if pod_labels[name].get(key) == value}
        assert chosen, f"selector {key}={value} picks no pod"
    for expression in selector.get("matchExpressions", []):
        assert expression["key"] == "app.kubernetes.io/name" and expression["operator"] == "In"
        unknown = set(expression["values"]) - set(BASE_NAMES)
        assert not unknown, f"selector names unknown services {sorted(unknown)}"
        chosen &= set(expression["values"])
    return chosen


def test_network_policies_component() -> None:
    policies = component_objects("network-policies")
    assert policies and all(p["kind"] == "NetworkPolicy" for p in policies)

    deny = [p for p in policies if not p["spec"].get("ingress") and not p["spec"].get("egress")]
    assert len(deny) == 1, "one default-deny policy"
    assert selected_services(deny[0]["spec"]["podSelector"]) == set(BASE_NAMES)
    assert set(deny[0]["spec"]["policyTypes"]) == {"Ingress", "Egress"}, "default deny covers ingress and egress"

    def ingress_ports(service: str, *, from_anywhere: bool) -> set[Any]:
        ports: set[Any] = set()
        for policy in policies:
            if service not in selected_services(policy["spec"]["podSelector"]):
                continue
            for rule in policy["spec"].get("ingress", []):
                if bool(rule.get("from")) != (not from_anywhere):
                    continue
                ports |= {p["port"] for p in rule.get("ports", [])}
        return ports

    for public in ("ingest", "handoff"):
        assert "http" in ingress_ports(public, from_anywhere=True), f"{public} must accept HTTP from anywhere"
    for internal in ("nlu", "generator", "dialogue", *ACTION_NAMES):
        assert not ingress_ports(internal, from_anywhere=True), f"{internal} must not be open to anywhere"
    for rpc in ("nlu", "generator"):
        assert "grpc" in ingress_ports(rpc, from_anywhere=False), f"{rpc} must accept gRPC from the namespace"
        rpc_rules = [
            rule
            for policy in policies
            if rpc in selected_services(policy["spec"]["podSelector"])
            for rule in policy["spec"].get("ingress", [])
            if "grpc" in {p["port"] for p in rule.get("ports", [])}
        ]
        assert all(rule["from"] == [{"podSelector": {}}] for rule in rpc_rules), "gRPC is for this namespace only"

    def egress(service: str) -> list[tuple[set[tuple[Any, str]], list[dict[str, Any]]]]:
        """(ports, to) of every egress rule that applies to the service's pods."""
        return [
            ({(p["port"], p.get("protocol", "TCP")) for p in rule.get("ports", [])}, rule.get("to", []))
            for policy in policies
            if service in selected_services(policy["spec"]["podSelector"])
            for rule in policy["spec"].get("egress", [])
        ]

    def egress_ports(service: str) -> set[tuple[Any, str]]:
        return {port for ports, _ in egress(service) for port in ports}

    egress_everyone = set.intersection(*(egress_ports(service) for service in NAMES))
    for needed in ((9092, "TCP"), (27017, "TCP"), (53, "UDP"), (53, "TCP")):
        assert needed in egress_everyone, f"every service needs egress to port {needed[0]}/{needed[1]}"
    for rpc in ("nlu", "generator"):
        assert (SERVICES[rpc].grpc_port, "TCP") in egress_everyone, f"callers need egress to {rpc} gRPC"

    # The action servers run tenants' code: only dialogue calls them, they call only the database.
    action_pods = {name for name in BASE_NAMES if name in ACTION_SERVERS}
    for server in ACTION_NAMES:
        assert egress_ports(server) == {(27017, "TCP"), (53, "UDP"), (53, "TCP")}, (
            f"{server} may reach the database and DNS only, not {sorted(egress_ports(server), key=str)}"
        )
        rules = [
            rule
            for policy in policies
            if server in selected_services(policy["spec"]["podSelector"])
            for rule in policy["spec"].get("ingress", [])
        ]
        assert rules, f"nothing may call {server}"
        for rule in rules:
            assert {p["port"] for p in rule["ports"]} == {"http"}, f"{server} is called on its http port only"
            callers = set().union(*(selected_services(peer["podSelector"]) for peer in rule["from"]))
            assert callers == {"dialogue"}, f"only dialogue calls {server}, not {sorted(callers)}"
    to_actions = [
        ports
        for ports, to in egress("dialogue")
        if to and set().union(*(selected_services(peer["podSelector"]) for peer in to)) == action_pods
    ]
    assert any((ACTIONS_PORT, "TCP") in ports for ports in to_actions), "dialogue needs egress to the action servers"


def test_autoscaling_component() -> None:
    autoscalers = component_objects("autoscaling")
    targets = {}
    for hpa in autoscalers:
        assert hpa["kind"] == "HorizontalPodAutoscaler" and hpa["apiVersion"] == "autoscaling/v2"
        ref = hpa["spec"]["scaleTargetRef"]
        assert ref["kind"] == "Deployment" and ref["name"] in SERVICES, f"HPA targets unknown {ref}"
        assert hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
        assert any(m["resource"]["name"] == "cpu" for m in hpa["spec"]["metrics"] if m["type"] == "Resource")
        targets[ref["name"]] = hpa
    assert set(targets) == set(NAMES), f"HPAs for {sorted(targets)}, expected every service"

    directory = COMPONENTS / "autoscaling"
    example = directory / "keda-scaledobjects.example.yaml"
    assert example.is_file(), "the KEDA example is missing"
    assert example.name not in load_kustomization(directory).get("resources", []), "KEDA is optional"
    topics_source = (REPO / "lib/core/src/switchboard/core/topics.py").read_text(encoding="utf-8")
    scaled = {obj["spec"]["scaleTargetRef"]["name"]: obj for obj in load_docs(example)}
    assert {"nlu", "generator"} <= set(scaled), "the KEDA example covers nlu and generator"
    for name, obj in scaled.items():
        assert obj["kind"] == "ScaledObject" and name in SERVICES
        trigger = obj["spec"]["triggers"][0]
        assert trigger["type"] == "kafka"
        assert f'"{trigger["metadata"]["topic"]}"' in topics_source, f"{name} scales on an undeclared topic"
        assert trigger["metadata"]["consumerGroup"] == f"switchboard-{name}"


def test_local_overlay_combines_every_base_with_the_infra_configmap() -> None:
    kustomization = load_kustomization(LOCAL_OVERLAY)
    resources = kustomization.get("resources", [])
    for service in BASE_NAMES:
        assert f"../../base/{service}" in resources, f"the local overlay misses {service}"
    assert kustomization.get("components") == ["tenants"], "the local overlay mounts the generated tenant ConfigMaps"
    ignored = (REPO / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert f"{GENERATED_TENANTS.relative_to(REPO).as_posix()}/" in ignored, "the generated tenants stay out of git"
    objects = [obj for entry in resources if entry.endswith(".yaml") for obj in load_docs(LOCAL_OVERLAY / entry)]
    configmaps = [obj for obj in objects if obj["kind"] == "ConfigMap" and obj["metadata"]["name"] == INFRA_CONFIGMAP]
    assert len(configmaps) == 1, f"the local overlay must define the {INFRA_CONFIGMAP} ConfigMap"
    data = configmaps[0]["data"]
    for service in BASE_NAMES:
        for item in main_container(service).get("env", []):
            ref = item.get("valueFrom", {}).get("configMapKeyRef")
            if ref and not ref.get("optional", False):
                assert ref["key"] in data, f"{INFRA_CONFIGMAP} lacks {ref['key']}, which {service} requires"
    images = {image["name"] for image in kustomization.get("images", [])}
    assert images == {f"switchboard/{service}" for service in NAMES}, "the local overlay tags every image"
