"""``switchboard deploy configmaps``: every tenant file in its ConfigMap at the path the services read,
the same bytes on every run, and the local overlay built with it mounts them in every Deployment."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from switchboard.cli.main import main
from switchboard.cli.paths import REPO_ROOT

TENANTS = REPO_ROOT / "tenants"
SHIPPED = ("broadband", "demo")
MOUNT = "/opt/tenants"
KEY = re.compile(r"^[-._a-zA-Z0-9]+$")  # Kubernetes' rule for ConfigMap keys


def generate(out: Path, *ids: str, tenants_dir: Path = TENANTS) -> int:
    return main(["--tenants-dir", str(tenants_dir), "deploy", "configmaps", "--out", str(out), *ids])


def docs(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def runtime_files(folder: Path) -> dict[str, str]:
    """What a deployment of the tenant reads: every file but its tests, README and bytecode."""
    found = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if not path.is_file() or relative.parts[0] in ("tests", "README.md") or "__pycache__" in relative.parts:
            continue
        found[relative.as_posix()] = path.read_text(encoding="utf-8")
    return found


def mounted_files(out: Path, patch_file: str) -> dict[str, str]:
    """``<tenant>/<path>`` -> text, as the patch's projected volume lays out the generated ConfigMaps."""
    configmaps = {doc["metadata"]["name"]: doc["data"] for p in out.glob("tenant-*.yaml") for doc in docs(p)}
    [add_volume, add_mount] = docs(out / patch_file)[0]
    assert add_mount["value"] == {"name": "tenants", "mountPath": MOUNT, "readOnly": True}
    files = {}
    for source in add_volume["value"]["projected"]["sources"]:
        data = configmaps[source["configMap"]["name"]]
        for item in source["configMap"]["items"]:
            assert item["path"] not in files, f"{item['path']} is mounted twice"
            files[item["path"]] = data[item["key"]]
    return files


def test_every_file_of_the_shipped_tenants_is_mounted_where_the_services_read_it(tmp_path: Path, capsys) -> None:
    assert generate(tmp_path) == 0, capsys.readouterr().err
    mounted = mounted_files(tmp_path, "mount-tenants.yaml")
    expected = {
        f"{tenant}/{path}": text for tenant in SHIPPED for path, text in runtime_files(TENANTS / tenant).items()
    }
    assert mounted == expected
    for tenant in SHIPPED:
        for name in ("tenant.yaml", "channels.yaml", "handoff.yaml", "agents.yaml", "generator.yaml", "domain.yml"):
            assert f"{tenant}/{name}" in mounted
        for name in ("config.yml", "endpoints.yml", "data/nlu.yml", "actions/__init__.py", "actions/actions.py"):
            assert f"{tenant}/{name}" in mounted
        assert any(path.startswith(f"{tenant}/knowledge/") for path in mounted)
        assert not any(path.startswith(f"{tenant}/tests/") for path in mounted), "tenant tests are not deployed"
    for path in tmp_path.glob("tenant-*.yaml"):
        [configmap] = docs(path)
        assert configmap["kind"] == "ConfigMap" and configmap["metadata"]["name"] == path.stem
        for key in configmap["data"]:
            assert KEY.fullmatch(key) and len(key) <= 253, f"{path.name}: invalid key {key!r}"


def test_an_action_server_mounts_only_its_own_tenant(tmp_path: Path) -> None:
    assert generate(tmp_path) == 0
    component = docs(tmp_path / "kustomization.yaml")[0]
    assert component["kind"] == "Component"
    assert sorted(component["resources"]) == [f"tenant-{t}.yaml" for t in SHIPPED]
    for tenant in SHIPPED:
        patch = next(p for p in component["patches"] if p["path"] == f"mount-actions-{tenant}.yaml")
        assert patch["target"] == {"kind": "Deployment", "name": f"actions-{tenant}"}
        mounted = mounted_files(tmp_path, patch["path"])
        assert mounted == {f"{tenant}/{path}": text for path, text in runtime_files(TENANTS / tenant).items()}


def test_the_output_is_the_same_on_every_run_and_from_any_folder(tmp_path: Path) -> None:
    assert generate(tmp_path / "one") == 0
    assert generate(tmp_path / "two") == 0
    copy = tmp_path / "elsewhere" / "tenants"
    shutil.copytree(TENANTS, copy)
    assert generate(tmp_path / "three", tenants_dir=copy) == 0

    def contents(folder: Path) -> dict[str, bytes]:
        return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}

    first = contents(tmp_path / "one")
    assert first == contents(tmp_path / "two") == contents(tmp_path / "three")
    assert str(tmp_path).encode() not in b"".join(first.values()), "no absolute path in the output"


def test_tenants_no_longer_asked_for_are_removed_and_other_files_kept(tmp_path: Path) -> None:
    assert generate(tmp_path) == 0
    (tmp_path / "notes.txt").write_text("mine\n")
    assert generate(tmp_path, "demo") == 0
    names = sorted(path.name for path in tmp_path.iterdir())
    assert names == [
        "kustomization.yaml",
        "mount-actions-demo.yaml",
        "mount-tenants.yaml",
        "notes.txt",
        "tenant-demo.yaml",
    ]
    assert set(mounted_files(tmp_path, "mount-tenants.yaml")) == {f"demo/{p}" for p in runtime_files(TENANTS / "demo")}


@pytest.mark.parametrize("folder", ["Bad_Id", "x", "9lives"])
def test_a_tenant_folder_with_a_bad_id_is_refused_and_nothing_written(tmp_path: Path, capsys, folder: str) -> None:
    tenants = tmp_path / "tenants"
    shutil.copytree(TENANTS / "demo", tenants / folder, ignore=shutil.ignore_patterns("tests", "__pycache__"))
    out = tmp_path / "out"
    assert generate(out, tenants_dir=tenants) == 1
    assert "is not a tenant id" in capsys.readouterr().err
    assert not out.exists()


def test_an_id_argument_that_is_no_tenant_id_is_refused(tmp_path: Path, capsys) -> None:
    assert generate(tmp_path / "out", "../demo") == 1
    assert "'../demo' is not a tenant id" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_tenant_file_whose_id_is_another_folders_is_refused(tmp_path: Path, capsys) -> None:
    tenants = tmp_path / "tenants"
    shutil.copytree(TENANTS / "demo", tenants / "shop", ignore=shutil.ignore_patterns("tests", "__pycache__"))
    assert generate(tmp_path / "out", tenants_dir=tenants) == 1
    assert "must match its folder name 'shop'" in capsys.readouterr().err


def test_a_file_name_that_is_no_configmap_key_is_refused(tmp_path: Path, capsys) -> None:
    tenants = tmp_path / "tenants"
    assert main(["--tenants-dir", str(tenants), "tenant", "new", "acme"]) == 0
    (tenants / "acme" / "knowledge" / "退货 政策.zh.md").write_text("# 退货\n", encoding="utf-8")
    capsys.readouterr()
    assert generate(tmp_path / "out", tenants_dir=tenants) == 1
    err = capsys.readouterr().err
    assert "退货 政策.zh.md" in err and "ConfigMap key" in err


def test_secret_references_stay_references_and_are_listed(tmp_path: Path, capsys) -> None:
    tenants = tmp_path / "tenants"
    assert main(["--tenants-dir", str(tenants), "tenant", "new", "acme"]) == 0
    channels = tenants / "acme" / "channels.yaml"
    document = yaml.safe_load(channels.read_text(encoding="utf-8"))
    document["web"]["session_secret"] = "env:ACME_WEB_SESSION_SECRET"
    document["web"]["rest_api_key"] = "env:ACME_REST_API_KEY"
    channels.write_text(yaml.safe_dump(document), encoding="utf-8")
    capsys.readouterr()
    out = tmp_path / "out"
    assert generate(out, tenants_dir=tenants) == 0
    assert "env: references ACME_REST_API_KEY, ACME_WEB_SESSION_SECRET" in capsys.readouterr().out
    [configmap] = docs(out / "tenant-acme.yaml")
    assert yaml.safe_load(configmap["data"]["channels.yaml"])["web"]["session_secret"] == "env:ACME_WEB_SESSION_SECRET"
    assert (
        "to be set from a Secret: ACME_REST_API_KEY, ACME_WEB_SESSION_SECRET" in (out / "tenant-acme.yaml").read_text()
    )
    assert not (out / "mount-actions-acme.yaml").exists(), "a tenant without actions/ has no action server"


# --- the local overlay, built ---------------------------------------------------------------------
# A small kustomize: resources, components, JSON patches with a target, images, namespace. It covers what
# deploy/overlays/local uses; anything else fails loudly rather than being skipped.


def _selects(selector: str, labels: dict[str, str]) -> bool:
    for term in selector.split(","):
        if "!=" in term:
            key, value = term.split("!=")
            if labels.get(key) == value:
                return False
        else:
            key, value = term.split("=")
            if labels.get(key) != value:
                return False
    return True


def _matches(target: dict[str, str], obj: dict[str, Any]) -> bool:
    assert set(target) <= {"group", "version", "kind", "name", "labelSelector"}, f"unsupported target {target}"
    if (
        target.get("kind", obj["kind"]) != obj["kind"]
        or target.get("name", obj["metadata"]["name"]) != obj["metadata"]["name"]
    ):
        return False
    return (
        _selects(target.get("labelSelector", ""), obj["metadata"].get("labels", {}))
        if "labelSelector" in target
        else True
    )


def _apply(operations: list[dict[str, Any]], obj: dict[str, Any]) -> None:
    for operation in operations:
        *parents, last = operation["path"].strip("/").split("/")
        node: Any = obj
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if operation["op"] == "add" and last == "-":
            node.append(operation["value"])
        elif operation["op"] == "remove":
            del node[int(last) if isinstance(node, list) else last]
        else:
            raise AssertionError(f"unsupported patch operation {operation}")


def build(directory: Path, objects: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    kustomization = docs(directory / "kustomization.yaml")[0]
    objects = [] if objects is None else objects
    for entry in kustomization.get("resources", []):
        path = directory / entry
        objects += build(path) if path.is_dir() else docs(path)
    for entry in kustomization.get("components", []):
        objects = build(directory / entry, objects)
    for patch in kustomization.get("patches", []):
        operations = yaml.safe_load(patch["patch"]) if "patch" in patch else docs(directory / patch["path"])[0]
        assert isinstance(operations, list), "only JSON patches are supported here"
        for obj in objects:
            if _matches(patch["target"], obj):
                _apply(operations, obj)
    for image in kustomization.get("images", []):
        for obj in objects:
            for container in obj.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
                if container["image"].split(":")[0] == image["name"]:
                    container["image"] = f"{image.get('newName', image['name'])}:{image['newTag']}"
    if "namespace" in kustomization:
        for obj in objects:
            if obj["kind"] != "Namespace":
                obj["metadata"]["namespace"] = kustomization["namespace"]
    return objects


@pytest.fixture(scope="module")
def local_overlay(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], dict[str, Any]]:
    """deploy/ copied, the tenants' Component generated into the local overlay, the overlay built."""
    deploy = tmp_path_factory.mktemp("tree") / "deploy"
    shutil.copytree(REPO_ROOT / "deploy", deploy, ignore=shutil.ignore_patterns("tenants"))
    assert generate(deploy / "overlays" / "local" / "tenants") == 0
    built = {(obj["kind"], obj["metadata"]["name"]): obj for obj in build(deploy / "overlays" / "local")}
    return built


def test_the_overlay_mounts_the_tenant_configmaps_in_every_deployment(local_overlay) -> None:
    deployments = {name: obj for (kind, name), obj in local_overlay.items() if kind == "Deployment"}
    tenant_maps = {
        name: obj for (kind, name), obj in local_overlay.items() if kind == "ConfigMap" and name.startswith("tenant-")
    }
    assert set(tenant_maps) == {f"tenant-{t}" for t in SHIPPED}
    servers = {f"actions-{t}" for t in SHIPPED}
    assert set(deployments) == {"ingest", "nlu", "dialogue", "generator", "handoff"} | servers
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        [container] = pod["containers"]
        tenants = [v for v in pod["volumes"] if v["name"] == "tenants"]
        assert len(tenants) == 1, f"{name} needs one tenants volume"
        for volume in pod["volumes"]:
            assert set(volume) in ({"name", "emptyDir"}, {"name", "projected"}), f"{name}: volume {volume['name']}"
        mounts = [m for m in container["volumeMounts"] if m["name"] == "tenants"]
        assert mounts == [{"name": "tenants", "mountPath": MOUNT, "readOnly": True}], f"{name} mounts {mounts}"
        sources = [source["configMap"] for source in tenants[0]["projected"]["sources"]]
        wanted = [f"tenant-{name.removeprefix('actions-')}"] if name in servers else sorted(tenant_maps)
        assert sorted(source["name"] for source in sources) == wanted, f"{name} mounts {sources}"
        laid_out = {}
        for source in sources:
            data = tenant_maps[source["name"]]["data"]
            for item in source["items"]:
                laid_out[item["path"]] = data[item["key"]]
        for tenant in (w.removeprefix("tenant-") for w in wanted):
            assert {p.removeprefix(f"{tenant}/") for p in laid_out if p.startswith(f"{tenant}/")} == set(
                runtime_files(TENANTS / tenant)
            ), f"{name} misses files of {tenant}"
        if name in servers:
            tenant = name.removeprefix("actions-")
            assert container["workingDir"] == f"{MOUNT}/{tenant}" and f"{tenant}/actions/__init__.py" in laid_out


def test_the_overlay_points_dialogue_at_every_action_server(local_overlay) -> None:
    [dialogue] = local_overlay["Deployment", "dialogue"]["spec"]["template"]["spec"]["containers"]
    env = {item["name"]: item.get("value") for item in dialogue["env"]}
    for tenant in SHIPPED:
        url = env[f"{tenant.upper()}_ACTIONS_URL"]
        host, port = re.fullmatch(r"http://([a-z0-9-]+):(\d+)/webhook", url).groups()
        service = local_overlay["Service", host]
        assert int(port) in {p["port"] for p in service["spec"]["ports"]}
        pod_labels = local_overlay["Deployment", f"actions-{tenant}"]["spec"]["template"]["metadata"]["labels"]
        assert service["spec"]["selector"].items() <= pod_labels.items(), f"{host} selects another Deployment"
        assert service["metadata"]["namespace"] == local_overlay["Deployment", "dialogue"]["metadata"]["namespace"]
