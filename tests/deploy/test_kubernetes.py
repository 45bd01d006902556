"""
The Kubernetes manifests: every overlay, built by kustomize (kubectl's),
valid against the Kubernetes schemas of a pinned version, and in agreement
with the image (Dockerfile.run) and the bot's options. No cluster runs here:
this is what is checked instead.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from importlib.resources import files
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from boredbot.config import read_config
from boredbot.tap import Options
from boredbot.unlock import DEFAULT_KEY_FILE, SERVICE, secret_reader
from boredbot.web import ROUTES
from luggage.secrets.unlock import KeySources
from luggage_tools.image import read_image

#: Starts real services or processes (see the marker in pyproject.toml).
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES = ROOT / "deploy" / "kubernetes"
#: The Kubernetes version whose schemas the manifests must satisfy.
KUBERNETES_VERSION = "1.33"
OVERLAYS = ("demo", "production")


def _build(overlay: str) -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl is missing (it builds the kustomize overlays)"
    done = subprocess.run(
        [kubectl, "kustomize", str(KUBERNETES / "overlays" / overlay)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return [document for document in yaml.safe_load_all(done.stdout) if document]


def _dockerfile() -> str:
    return (ROOT / "Dockerfile.run").read_text("utf-8")


def _bot_options() -> set[str]:
    # Every option twistd boredbot takes, its base class's included.
    return {f"--{name.rstrip('=')}" for name in Options().longOpt}


def _pods(resources: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        resource["metadata"]["name"]: resource["spec"]["template"]["spec"]
        for resource in resources
        if resource["kind"] in ("Deployment", "Job")
    }


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_resource_is_valid_for_the_pinned_kubernetes(overlay: str) -> None:
    resources = _build(overlay)
    assert resources
    for resource in resources:
        # strict: a field Kubernetes does not know is an error, not ignored.
        kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_pods_are_hardened_and_bounded(overlay: str) -> None:
    user = re.search(r"^USER (\d+)$", _dockerfile(), re.M)
    assert user
    for name, pod in _pods(_build(overlay)).items():
        context = pod["securityContext"]
        assert context["runAsNonRoot"] is True, name
        assert context["runAsUser"] == int(user.group(1)), name
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert pod["automountServiceAccountToken"] is False, name
        for container in pod["containers"]:
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, name
            assert security["allowPrivilegeEscalation"] is False, name
            assert security["capabilities"]["drop"] == ["ALL"], name
            assert set(container["resources"]) == {"requests", "limits"}, name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_bot_runs_as_the_image_and_its_options_expect(overlay: str) -> None:
    resources = _build(overlay)
    pods = _pods(resources)
    # The image's port and entry point are the service's (deploy/image.toml).
    image = read_image(ROOT / "deploy" / "image.toml")
    assert image.entrypoint[-1] == "boredbot"
    known = _bot_options()
    key_folder, key_name = DEFAULT_KEY_FILE.rsplit("/", 1)
    health_routes = {"/healthz", "/readyz"}
    for name in ("boredbot-web", "boredbot-updater"):
        [container] = pods[name]["containers"]
        # No command: the image's entrypoint (twistd ... boredbot) runs.
        assert "command" not in container
        args = container["args"]
        assert {arg for arg in args if arg.startswith("--")} <= known, args
        ports = {port["name"]: port["containerPort"] for port in container["ports"]}
        metrics = args[args.index("--metrics") + 1]
        assert metrics == f"tcp:{ports['metrics']}"
        if name == "boredbot-web":
            assert ports["http"] == image.port
            assert {"/healthz", "/readyz"} <= set(ROUTES)
        # Web probes on its page's port; the updater, which has no page, on
        # its metrics endpoint (which serves /healthz and /readyz too).
        probed = "http" if name == "boredbot-web" else "metrics"
        for probe in ("livenessProbe", "readinessProbe"):
            assert container[probe]["httpGet"]["path"] in health_routes
            assert container[probe]["httpGet"]["port"] == probed
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        # The key: a Secret mounted as a file where the bot looks by default.
        mounts = {mount["name"]: mount for mount in container["volumeMounts"]}
        volumes = {volume["name"]: volume for volume in pods[name]["volumes"]}
        assert mounts["key"]["mountPath"] == key_folder
        assert volumes["key"]["secret"]["items"] == [
            {"key": "boredbot", "path": key_name}
        ]
        assert not any("KEY" in env["name"] for env in container.get("env", []))
        # The configuration: the ConfigMap's file is what --config names.
        config = args[args.index("--config") + 1]
        folder, file_name = config.rsplit("/", 1)
        assert mounts["config"]["mountPath"] == folder
        assert volumes["config"]["configMap"]["items"][0]["path"] == file_name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_topology_web_replicas_one_updater(overlay: str) -> None:
    resources = {(r["kind"], r["metadata"]["name"]): r for r in _build(overlay)}
    web = resources[("Deployment", "boredbot-web")]["spec"]
    updater = resources[("Deployment", "boredbot-updater")]["spec"]
    assert web["replicas"] >= 2
    assert web["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    assert updater["replicas"] == 1
    assert updater["strategy"] == {"type": "Recreate"}
    budget = resources[("PodDisruptionBudget", "boredbot-web")]["spec"]
    assert budget["minAvailable"] < web["replicas"]
    service = resources[("Service", "boredbot-web")]["spec"]
    assert service["selector"] == web["selector"]["matchLabels"]


def test_production_overlay_holds_the_production_environment() -> None:
    copied = KUBERNETES / "overlays" / "production" / "boredbot.toml"
    original = ROOT / "boredbot_deploy" / "environments" / "production.toml"
    assert copied.read_text() == original.read_text(), (
        f"{copied} differs from {original}: copy it again"
    )


def test_demo_overlay_configuration_decrypts_and_names_its_backend() -> None:
    path = KUBERNETES / "overlays" / "demo" / "boredbot.toml"
    document = tomllib.loads(path.read_text())
    demo_key = files("boredbot_deploy") / "environments" / "demo.key"
    reader, _ = secret_reader(
        document, str(path), KeySources(SERVICE, None, {}, demo_key)
    )
    bot = read_config(document, str(path), reader)
    backend = next(
        r
        for r in _build("demo")
        if r["kind"] == "Service" and r["metadata"]["name"] == "boredbot-backend"
    )
    port = backend["spec"]["ports"][0]["port"]
    for account in (bot.updates, bot.mood):
        assert account.url == f"http://boredbot-backend:{port}/parse"
        assert account.rest_api_key.reveal().startswith("demo-")
