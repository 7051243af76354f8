"""The deployment files: deploy/k8s/ manifests against the Kubernetes API schemas, the
StatefulSet's start script driving the real binary, and the Dockerfile's runtime packages
against the libraries the binaries link (docs/operations.md, "Kubernetes")."""

import os
import re
import signal
import subprocess
import urllib.request
from pathlib import Path

import pytest
import redis
import yaml

from conftest import KV_BIN, REPO_ROOT, free_port, wait_for

pytestmark = pytest.mark.kv_only

K8S = REPO_ROOT / "deploy" / "k8s"
NODE_DIR = REPO_ROOT / "test" / "node"
VALIDATE = NODE_DIR / "validate-k8s.js"


def manifests() -> list[Path]:
    return sorted(K8S.glob("*.yaml"))


def documents() -> list[dict]:
    docs = []
    for path in manifests():
        docs += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return docs


def find(kind: str, name: str) -> dict:
    for d in documents():
        if d["kind"] == kind and d["metadata"]["name"] == name:
            return d
    raise AssertionError(f"no {kind}/{name} in deploy/k8s")


def configmap_data() -> dict:
    return find("ConfigMap", "kv-server")["data"]


def conf_directives() -> dict:
    out = {}
    for line in configmap_data()["kv-server.conf"].splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, value = line.split(None, 1)
            out[name] = value
    return out


def validate(paths) -> subprocess.CompletedProcess:
    if not (NODE_DIR / "node_modules" / "kubernetes-models").is_dir():
        pytest.fail("test/node/node_modules lacks kubernetes-models: run scripts/deps.sh")
    return subprocess.run(["node", str(VALIDATE), *map(str, paths)], capture_output=True,
                          text=True, timeout=60)


def test_every_manifest_validates_against_the_kubernetes_schemas():
    paths = manifests()
    assert paths, "deploy/k8s has no manifests"
    r = validate(paths)
    assert r.returncode == 0, r.stdout + r.stderr
    valid = [line for line in r.stdout.splitlines() if line.endswith(": valid")]
    assert len(valid) == len(documents()), r.stdout


def test_the_validator_rejects_a_wrong_manifest(tmp_path):
    bad = tmp_path / "bad.yaml"
    text = (K8S / "statefulset.yaml").read_text()
    bad.write_text(text.replace("containerPort: 6381", 'containerPort: "6381x"', 1))
    r = validate([bad])
    assert r.returncode == 1
    assert "StatefulSet/kv-server: INVALID" in r.stdout and "containerPort" in r.stdout
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("apiVersion: v1\nkind: NoSuchKind\nmetadata:\n  name: x\n")
    r = validate([unknown])
    assert r.returncode == 1 and "no schema" in r.stdout


def test_probes_ports_and_services_agree_with_the_server_config():
    sts = find("StatefulSet", "kv-server")
    conf = conf_directives()
    (container,) = sts["spec"]["template"]["spec"]["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"resp": int(conf["port"]), "native": int(conf["native-port"]),
                     "metrics": int(conf["metrics-port"])}
    assert container["readinessProbe"]["httpGet"] == {"path": "/health", "port": "metrics"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/health/live", "port": "metrics"}
    assert conf["dir"] == "/data"
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert mounts["data"] == "/data"
    assert [t["metadata"]["name"] for t in sts["spec"]["volumeClaimTemplates"]] == ["data"]
    headless = find("Service", sts["spec"]["serviceName"])
    assert headless["spec"]["clusterIP"] == "None"
    assert headless["spec"]["selector"] == sts["spec"]["selector"]["matchLabels"]
    for p in headless["spec"]["ports"]:
        assert ports[p["targetPort"]] == p["port"]
    # Sentinel watches pod 0 by its stable name under the same headless service.
    sentinel_start = configmap_data()["sentinel-start.sh"]
    assert (f"sentinel monitor kv {sts['metadata']['name']}-0.{sts['spec']['serviceName']} "
            f"{conf['port']} 2") in sentinel_start
    assert "get-master-addr-by-name kv" in configmap_data()["start.sh"]


def write_start_files(tmp_path, password="s3cret-Pass_1"):
    conf_dir = tmp_path / "conf"
    conf_dir.mkdir()
    for name, text in configmap_data().items():
        (conf_dir / name).write_text(text)
    secret_dir = tmp_path / "secret"
    secret_dir.mkdir()
    (secret_dir / "password").write_text(password)
    return conf_dir, secret_dir


def start_env(tmp_path, conf_dir, secret_dir, hostname, binary):
    env = dict(os.environ)
    env.update(HOSTNAME=hostname, KV_CONF_DIR=str(conf_dir), KV_SECRET_DIR=str(secret_dir),
               KV_RUN_CONF=str(tmp_path / "run.conf"), KV_SERVER_BIN=str(binary),
               KV_SERVICE="kv-server-headless",
               # Nothing listens there: start.sh falls back to the pod ordinal rule.
               KV_SENTINEL="127.0.0.1")
    return env


def test_start_script_runs_pod_0_as_a_password_protected_primary(tmp_path):
    conf_dir, secret_dir = write_start_files(tmp_path)
    port, native, metrics = free_port(), free_port(), free_port()
    data = tmp_path / "data"
    data.mkdir()
    env = start_env(tmp_path, conf_dir, secret_dir, "kv-server-0", KV_BIN)
    proc = subprocess.Popen(
        ["sh", str(conf_dir / "start.sh"), "--bind", "127.0.0.1", "--port", str(port),
         "--native-port", str(native), "--metrics-port", str(metrics), "--dir", str(data),
         "--threads", "1"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        authed = redis.Redis(port=port, password="s3cret-Pass_1", socket_timeout=5)
        wait_for(lambda: _loaded(authed), what="the server started by start.sh")
        run_conf = (tmp_path / "run.conf").read_text()
        assert "\nreplicaof " not in run_conf
        assert (tmp_path / "run.conf").stat().st_mode & 0o077 == 0
        with pytest.raises(redis.AuthenticationError):
            redis.Redis(port=port, socket_timeout=5).set("k", "v")
        assert authed.set("k", "v") and authed.get("k") == b"v"
        assert authed.config_get("appendonly") == {"appendonly": "yes"}
        for path, body in (("/health", b"ready"), ("/health/live", b"alive")):
            with urllib.request.urlopen(f"http://127.0.0.1:{metrics}{path}", timeout=5) as r:
                assert r.status == 200 and r.read().strip() == body
        assert list(data.iterdir()), "the data directory stays empty"
    finally:
        proc.send_signal(signal.SIGTERM)
        err = proc.communicate(timeout=15)[1]
    assert proc.returncode == 0, err.decode(errors="replace")


def _loaded(client) -> bool:
    """Up and done loading its data (PING is answered while it loads, writes are not)."""
    try:
        return client.info("persistence")["loading"] == 0
    except redis.ConnectionError:
        return False


def test_start_script_makes_other_pods_replicas_of_pod_0(tmp_path):
    conf_dir, secret_dir = write_start_files(tmp_path)
    fake = tmp_path / "fake-kv-server"
    fake.write_text('#!/bin/sh\ncat "$1"\necho "args: $*"\n')
    fake.chmod(0o755)
    env = start_env(tmp_path, conf_dir, secret_dir, "kv-server-2", fake)
    r = subprocess.run(["sh", str(conf_dir / "start.sh"), "--threads", "2"], env=env,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert "replicaof kv-server-0.kv-server-headless 6381\n" in r.stdout
    assert "masterauth s3cret-Pass_1\n" in r.stdout
    assert r.stdout.rstrip().endswith("--threads 2")


@pytest.mark.parametrize("password", ["", "has space", 'quote"', "new\nline"])
def test_start_script_refuses_a_password_the_config_cannot_carry(tmp_path, password):
    conf_dir, secret_dir = write_start_files(tmp_path, password)
    env = start_env(tmp_path, conf_dir, secret_dir, "kv-server-0", "/bin/false")
    r = subprocess.run(["sh", str(conf_dir / "start.sh")], env=env, capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 2
    assert "password" in r.stderr
    assert not (tmp_path / "run.conf").exists()


def dockerfile_stage(name: str) -> str:
    text = (REPO_ROOT / "Dockerfile").read_text()
    m = re.search(rf"^FROM \S+ AS {name}\n(.*?)(?=^FROM |\Z)", text, re.M | re.S)
    assert m, f"no stage {name} in the Dockerfile"
    return m.group(1)


def test_the_runtime_image_installs_every_library_the_binaries_need():
    stage = dockerfile_stage("runtime")
    install = re.search(r"apt-get install[^\n]*?((?:\\\n|[^\n])*)", stage).group(1)
    listed = set(re.findall(r"\b[a-z0-9][a-z0-9.+-]+\b", install.replace("\\\n", " ")))
    needed = set()
    for name in ("kv-server", "kv-cli", "kv-check"):
        binary = Path(KV_BIN).parent / name
        out = subprocess.run(["readelf", "-d", str(binary)], capture_output=True, text=True,
                             check=True).stdout
        for lib in re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", out):
            needed.add(owning_package(lib))
    base = {"libc6", "libgcc-s1"}  # in debian:12-slim
    # The binaries under test may be a sanitizer build; the image builds its own release one.
    sanitizer_runtimes = {"libasan8", "libubsan1", "libtsan2"}
    missing = needed - listed - base - sanitizer_runtimes
    assert not missing, f"the Dockerfile's runtime stage lacks {sorted(missing)}"
    assert "COPY --from=build /build/kv-server /build/kv-cli /build/kv-check" in stage


def owning_package(lib: str) -> str:
    for d in ("/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu"):
        r = subprocess.run(["dpkg", "-S", f"{d}/{lib}"], capture_output=True, text=True)
        if r.returncode == 0:
            return r.stdout.split(":")[0]
    raise AssertionError(f"no Debian package owns {lib}")


def test_the_build_stage_installs_with_the_projects_build_list():
    stage = dockerfile_stage("build")
    assert "./scripts/deps.sh --build-only" in stage
    deps = (REPO_ROOT / "scripts" / "deps.sh").read_text()
    build = re.search(r"BUILD_PACKAGES=\(\n(.*?)\n\)", deps, re.S).group(1)
    # Every -dev package the build stage needs is one meson looks for.
    for pkg in ("libuv1-dev", "libssl-dev", "liblua5.1-0-dev", "libjemalloc-dev"):
        assert pkg in build
