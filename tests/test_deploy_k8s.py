"""deploy/k8s/: valid against the Kubernetes schemas (offline), consistent with the app's settings."""
from __future__ import annotations

import re

import pytest
import yaml
from kubernetes_validate import utils as k8s_schemas

from app.config import SETTINGS, build_config
from app.vendors import VENDORS
from tests.conftest import REPO

K8S = REPO / "deploy" / "k8s"
KUBERNETES = "1.32"   # the oldest release still supported upstream when this was written
FILES = sorted([*K8S.rglob("*.yaml"), K8S / "secret.yaml.example"])
DOCUMENTS = [(path, doc) for path in FILES for doc in yaml.safe_load_all(path.read_text()) if doc]
# Read by app/providers/sessions.py through requests (environment_proxies) for vendor calls.
PROXY_VARIABLES = {"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"}


def kinds() -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for _, doc in DOCUMENTS:
        found.setdefault(doc["kind"], []).append(doc)
    return found


def one(kind: str) -> dict:
    (doc,) = kinds()[kind]
    return doc


def pod_specs() -> list[tuple[str, dict]]:
    found = kinds()
    return ([("Deployment", d["spec"]["template"]["spec"]) for d in found["Deployment"]]
            + [("Job", j["spec"]["template"]["spec"]) for j in found["Job"]]
            + [("CronJob", c["spec"]["jobTemplate"]["spec"]["template"]["spec"]) for c in found["CronJob"]])


@pytest.mark.parametrize("path,doc", DOCUMENTS, ids=[f"{p.relative_to(K8S)}:{d['kind']}" for p, d in DOCUMENTS])
def test_every_manifest_is_valid_against_the_kubernetes_schema(path, doc):
    # strict: an unknown or misspelt field fails too. No schema for a kind is a failure, not a skip.
    k8s_schemas.validate(doc, KUBERNETES, strict=True)


def test_a_bad_manifest_is_refused():
    broken = yaml.safe_load((K8S / "deployment.yaml").read_text())
    broken["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["paht"] = "/ready"
    with pytest.raises(k8s_schemas.ValidationError):
        k8s_schemas.validate(broken, KUBERNETES, strict=True)


def test_everything_the_issue_asks_for_is_there():
    assert set(kinds()) == {"ConfigMap", "Secret", "Deployment", "Service", "HorizontalPodAutoscaler", "Job",
                            "CronJob", "PodDisruptionBudget", "NetworkPolicy"}
    assert one("Job")["spec"]["template"]["spec"]["containers"][0]["command"] == ["flask", "--app", "wsgi", "db",
                                                                                  "upgrade"]
    assert one("CronJob")["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["command"] == [
        "flask", "--app", "wsgi", "catalog", "sync", "--apply"]
    assert one("CronJob")["spec"]["concurrencyPolicy"] == "Forbid"


def container(name: str = "price-runner") -> dict:
    (spec,) = [spec for kind, spec in pod_specs() if kind == "Deployment"]
    (found,) = [c for c in spec["containers"] if c["name"] == name]
    return found


def app_containers() -> list[dict]:
    """The containers running the app's image (the Deployment's nginx sidecar is not one)."""
    return [c for _, spec in pod_specs() for c in spec["containers"] if c["name"] != "nginx"]


def settings() -> dict:
    """The settings a pod runs with, parsed and checked by the app's own table."""
    env = dict(one("ConfigMap")["data"])
    env.update(next(s for s in kinds()["Secret"] if s["metadata"]["name"] == "price-runner-env")["stringData"])
    return build_config(environ=env)


def test_probes_and_the_drain_fit_the_app():
    main = container()
    assert main["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert main["livenessProbe"]["httpGet"]["path"] == "/health"
    assert main["readinessProbe"]["httpGet"]["port"] == main["livenessProbe"]["httpGet"]["port"] == "gunicorn"
    assert main["ports"][0] == {"name": "gunicorn", "containerPort": settings()["PORT"], "protocol": "TCP"}
    command = " ".join(main["lifecycle"]["preStop"]["exec"]["command"])
    assert 'touch "$DRAIN_FILE"' in command and settings()["DRAIN_FILE"]
    # The load balancer drops the pod before SIGTERM: the wait outlasts the readiness failures.
    probe = main["readinessProbe"]
    assert prestop_seconds() >= 2 * probe["periodSeconds"] * probe["failureThreshold"] + probe["timeoutSeconds"]


def prestop_seconds() -> int:
    return int(re.search(r"sleep (\d+)", " ".join(container()["lifecycle"]["preStop"]["exec"]["command"])).group(1))


def test_the_grace_period_covers_the_drain_and_gunicorns_graceful_timeout():
    spec = one("Deployment")["spec"]["template"]["spec"]
    config = settings()
    assert config["GRACEFUL_TIMEOUT"] > config["PROVIDER_TIMEOUT"]
    assert spec["terminationGracePeriodSeconds"] > prestop_seconds() + config["GRACEFUL_TIMEOUT"]


def test_every_pod_runs_the_same_image_and_settings_and_the_deployment_mounts_the_secrets_file():
    images = {c["image"] for c in app_containers()}
    assert len(images) == 1
    for main in app_containers():
        assert main["envFrom"] == [{"configMapRef": {"name": "price-runner"}},
                                   {"secretRef": {"name": "price-runner-env"}}]
    mount = next(m for m in container()["volumeMounts"] if m["name"] == "secrets")
    volume = next(v for v in one("Deployment")["spec"]["template"]["spec"]["volumes"] if v["name"] == "secrets")
    assert f"{mount['mountPath']}/{volume['secret']['items'][0]['path']}" == settings()["SECRETS_FILE"]
    secret = next(s for s in kinds()["Secret"] if s["metadata"]["name"] == volume["secret"]["secretName"])
    document = yaml.safe_load(secret["stringData"]["secrets.yaml"])
    from app.secrets import SECTION_KEYS
    assert set(document) <= set(SECTION_KEYS)


def test_shared_state_is_shared_by_every_pod():
    config = settings()
    assert config["DATABASE_URL"].startswith("postgresql+psycopg://")   # not a SQLite file per pod
    assert config["RATELIMIT_STORAGE_URI"].startswith("redis://")      # not memory:// per worker
    assert config["CACHE_REDIS_URL"].startswith("redis://")


def test_the_service_hpa_and_pdb_select_the_deployments_pods():
    labels = one("Deployment")["spec"]["template"]["metadata"]["labels"]
    assert one("Service")["spec"]["selector"].items() <= labels.items()
    assert one("PodDisruptionBudget")["spec"]["selector"]["matchLabels"].items() <= labels.items()
    target = one("HorizontalPodAutoscaler")["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", one("Deployment")["metadata"]["name"])
    assert one("HorizontalPodAutoscaler")["spec"]["minReplicas"] > one("PodDisruptionBudget")["spec"]["minAvailable"]
    assert "cpu" in container()["resources"]["requests"]   # the HPA's utilization is of the request


def variables_the_app_reads() -> set[str]:
    """The settings table, the vendors' variables, and every variable read by name in the code."""
    names = set(SETTINGS) | {name for vendor in VENDORS.values() for names in vendor.env.values() for name in names}
    # os.environ.get("X"), os.environ["X"], os.getenv("X"); not a WSGI request's environ.
    pattern = re.compile(r"""os\.(?:environ\.get\(|environ\[|getenv\()\s*["']([A-Z][A-Z0-9_]+)["']""")
    for path in [*(REPO / "app").rglob("*.py"), REPO / "gunicorn.conf.py", REPO / "wsgi.py"]:
        names |= set(pattern.findall(path.read_text()))
    return names | PROXY_VARIABLES


def test_every_variable_the_app_reads_is_set_in_the_manifests_or_documented_as_optional():
    set_here = set(one("ConfigMap")["data"])
    set_here |= {name for secret in kinds()["Secret"] for name in secret.get("stringData", {})}
    set_here |= {e["name"] for _, spec in pod_specs() for c in spec["containers"] for e in c.get("env", [])}
    documented = set(re.findall(r"^# - ([A-Z][A-Z0-9_]+)\b", (K8S / "configmap.yaml").read_text(), re.M))
    missing = variables_the_app_reads() - set_here - documented
    assert not missing, f"set these in deploy/k8s/ or list them as optional in configmap.yaml: {sorted(missing)}"
    assert not (documented - variables_the_app_reads()), "documented but never read"


def test_the_variable_scan_finds_reads_by_name():
    found = variables_the_app_reads()
    assert {"REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "PROMETHEUS_MULTIPROC_DIR", "OPENAI_API_KEY"} <= found


def test_clients_reach_nginx_and_never_gunicorn():
    nginx, spec = container("nginx"), one("Deployment")["spec"]["template"]["spec"]
    (http,) = nginx["ports"]
    assert http["name"] == "http" and one("Service")["spec"]["ports"][0]["targetPort"] == "http"
    env = {e["name"]: e["value"] for e in nginx["env"]}
    # deploy/nginx.conf itself, rendered with exactly its three variables, in front of this pod's gunicorn.
    template = (REPO / "deploy" / "nginx.conf").read_text()
    assert set(re.findall(r"\$\{([A-Z_]+)\}", template)) == set(env)
    assert env["NGINX_LISTEN"] == str(http["containerPort"])
    assert env["PRICE_RUNNER_UPSTREAM"] == f"127.0.0.1:{settings()['PORT']}"
    volume = next(v for v in spec["volumes"] if v["name"] == "nginx-conf")
    header = (K8S / "deployment.yaml").read_text()
    assert f"kubectl create configmap {volume['configMap']['name']} --from-file=nginx.conf=deploy/nginx.conf" in header
    assert "/etc/price-runner-nginx/nginx.conf" in " ".join(nginx["args"])
    assert nginx["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}
    # The proxies in front of the app: the ingress and this sidecar.
    assert settings()["TRUSTED_PROXIES"] == 2
    # Only nginx's port is open to every client; gunicorn's only to Prometheus.
    policy = one("NetworkPolicy")["spec"]
    assert policy["podSelector"]["matchLabels"].items() <= one("Deployment")["spec"]["template"]["metadata"][
        "labels"].items()
    open_to_all = [rule for rule in policy["ingress"] if "from" not in rule]
    assert [port["port"] for rule in open_to_all for port in rule["ports"]] == [http["containerPort"]]
    (scrape,) = [rule for rule in policy["ingress"] if "from" in rule]
    assert [port["port"] for port in scrape["ports"]] == [settings()["PORT"]]
    annotations = one("Deployment")["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/port"] == str(settings()["PORT"])
