"""The deployment files are valid and agree with each other: compose.yaml against the Compose
Specification's schema, the Kubernetes manifests against the Kubernetes API schemas (both checked
offline, with the schemas the test dependencies ship), every node of both topologies is given every
value the shipped cluster-node configuration asks for and the authorization file it includes, routes
carry the route password, and the service connects as its own user."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from adapters.nats.access import AUTHORIZATION_FILE, SERVICE_USER, include_authorization
from adapters.nats.server import CLUSTER_NODE_CONFIG, CONFIG_DIR

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
KUBERNETES_VERSION = "1.37.0"
# Where the image carries cluster-node.conf; its include of the authorization file is relative to it.
NODE_CONFIG_IN_IMAGE = "/etc/regiekaart/nats/cluster-node.conf"
AUTHORIZATION_IN_IMAGE = str(Path(NODE_CONFIG_IN_IMAGE).parent / AUTHORIZATION_FILE)
# A route URL with the route credentials, the password as a reference to NATS_ROUTE_PASSWORD
# (`${NAME...}` in Compose, `$(NAME)` in Kubernetes).
ROUTE = re.compile(r"nats://route:\$[{(]NATS_ROUTE_PASSWORD[^@]*@([^:@]+):6222")


def manifests() -> list[Path]:
    return sorted(p for p in KUBERNETES.glob("*.yaml") if p.name != "kustomization.yaml")


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def config_variables(config: Path) -> set[str]:
    without_comments = re.sub(r"#.*", "", config.read_text())
    return set(re.findall(r"\$([A-Z][A-Z0-9_]*)", without_comments))


def image_defaults() -> set[str]:
    """Variables the Dockerfile's ENV instructions set."""
    text = (DEPLOY / "Dockerfile").read_text().replace("\\\n", " ")
    names: set[str] = set()
    for line in text.splitlines():
        if line.startswith("ENV "):
            names.update(re.findall(r"([A-Z][A-Z0-9_]*)=", line))
    return names


def compose_services() -> dict[str, dict[str, Any]]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]


def compose_nats_nodes() -> dict[str, dict[str, Any]]:
    return {
        name: service
        for name, service in compose_services().items()
        if "cluster-node.conf" in " ".join(service.get("command", []))
    }


def test_compose_file_follows_the_compose_specification():
    checker = Path(sys.executable).parent / "check-jsonschema"
    result = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.compose-spec", str(DEPLOY / "compose.yaml")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_topology_is_three_nats_nodes_postgres_and_two_api_replicas():
    services = compose_services()
    apis = [s for s in services.values() if s.get("command") == ["regiekaart", "serve"]]
    assert len(compose_nats_nodes()) == 3
    assert len(apis) == 2
    assert services["postgres"]["image"].startswith("postgres:")
    for api in apis:
        assert api["environment"]["REGIEKAART_NATS_REPLICAS"] == "3"
        assert len(api["environment"]["REGIEKAART_NATS_URL"].split(",")) == 3
        assert api["environment"]["REGIEKAART_DATABASE_URL"].startswith("postgresql+psycopg://")


def test_every_compose_node_gets_every_value_of_the_cluster_node_configuration():
    needed = config_variables(CLUSTER_NODE_CONFIG)
    nodes = compose_nats_nodes()
    names = {s["environment"]["NATS_SERVER_NAME"] for s in nodes.values()}
    assert len(names) == 3, "each node needs a name of its own"
    for name, node in nodes.items():
        missing = needed - set(node["environment"]) - image_defaults()
        assert not missing, f"{name} lacks {missing}"
        routes = {ROUTE.fullmatch(node["environment"][f"NATS_ROUTE_{n}"]) for n in (1, 2, 3)}
        assert None not in routes, "every route carries the route password"
        assert name in {route.group(1) for route in routes}, "routes must name every node"


def test_the_node_configuration_includes_the_authorization_file():
    assert include_authorization() in re.sub(r"#.*", "", CLUSTER_NODE_CONFIG.read_text())


def test_every_compose_node_is_given_the_authorization_and_the_service_its_user():
    secrets = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["secrets"]
    for name, node in compose_nats_nodes().items():
        (secret,) = node["secrets"]
        assert secret["target"] == AUTHORIZATION_IN_IMAGE, name
        assert "file" in secrets[secret["source"]]
    for name, service in compose_services().items():
        url = service.get("environment", {}).get("REGIEKAART_NATS_URL")
        if url is not None:
            assert all(u.startswith(f"nats://{SERVICE_USER}:") for u in url.split(",")), name


@pytest.mark.parametrize("path", manifests(), ids=lambda p: p.name)
def test_kubernetes_manifests_follow_the_kubernetes_api_schemas(path):
    for document in documents(path):
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_postgres_is_started_with_the_same_settings_in_compose_and_kubernetes():
    # The benchmarks start theirs with compose.yaml's (tests/fixtures/postgres.py).
    compose = compose_services()["postgres"]["command"]
    (statefulset,) = (
        doc for doc in documents(KUBERNETES / "postgres.yaml") if doc["kind"] == "StatefulSet"
    )
    (container,) = statefulset["spec"]["template"]["spec"]["containers"]
    assert compose[0] == "postgres" and "-c" in compose
    assert container["args"] == compose[1:]


def test_kustomization_lists_every_manifest():
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
    assert sorted(kustomization["resources"]) == [p.name for p in manifests()]


def test_kubernetes_topology_matches_compose():
    resources = {
        (doc["kind"], doc["metadata"]["name"]): doc for p in manifests() for doc in documents(p)
    }
    nats = resources[("StatefulSet", "regiekaart-nats")]["spec"]
    api = resources[("Deployment", "regiekaart-api")]["spec"]
    assert nats["replicas"] == 3
    assert api["replicas"] == 2
    assert ("StatefulSet", "regiekaart-postgres") in resources
    (container,) = nats["template"]["spec"]["containers"]
    assert container["command"][-1] == "/etc/regiekaart/nats/cluster-node.conf"
    missing = (
        config_variables(CLUSTER_NODE_CONFIG)
        - {variable["name"] for variable in container["env"]}
        - image_defaults()
    )
    assert not missing, f"the NATS nodes lack {missing}"
    service = resources[("ConfigMap", "regiekaart-service")]["data"]
    assert service["REGIEKAART_NATS_REPLICAS"] == "3"


def test_kubernetes_nodes_are_given_the_authorization_and_the_service_its_user():
    resources = {
        (doc["kind"], doc["metadata"]["name"]): doc for p in manifests() for doc in documents(p)
    }
    pod = resources[("StatefulSet", "regiekaart-nats")]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    (mount,) = [m for m in container["volumeMounts"] if m["mountPath"] == AUTHORIZATION_IN_IMAGE]
    assert mount["subPath"] == AUTHORIZATION_FILE, (
        "a file beside cluster-node.conf, not over its folder"
    )
    (volume,) = [v for v in pod["volumes"] if v["name"] == mount["name"]]
    secret = volume["secret"]["secretName"]
    env = {variable["name"]: variable for variable in container["env"]}
    assert env["NATS_ROUTE_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == secret
    assert list(env).index("NATS_ROUTE_PASSWORD") < list(env).index("NATS_ROUTE_1")
    for number in (1, 2, 3):
        assert ROUTE.fullmatch(env[f"NATS_ROUTE_{number}"]["value"]), (
            "routes carry the route password"
        )
    for kind, name in (("Job", "regiekaart-import-facts"), ("Deployment", "regiekaart-api")):
        (service,) = resources[(kind, name)]["spec"]["template"]["spec"]["containers"]
        service_env = {variable["name"]: variable for variable in service["env"]}
        assert service_env["NATS_SERVICE_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == secret
        # Kubernetes fills in $(NAME) only from variables listed before.
        order = list(service_env)
        assert order.index("NATS_SERVICE_PASSWORD") < order.index("REGIEKAART_NATS_URL")
        urls = service_env["REGIEKAART_NATS_URL"]["value"].split(",")
        assert len(urls) == 3
        assert all(u.startswith(f"nats://{SERVICE_USER}:$(NATS_SERVICE_PASSWORD)@") for u in urls)


def test_deploy_configurations_are_the_packaged_ones():
    """One source of truth: deploy/nats/ links to what the package ships and the embedded server runs."""
    for name in ("single.conf", "cluster-node.conf"):
        assert (DEPLOY / "nats" / name).resolve() == (CONFIG_DIR / name).resolve()
