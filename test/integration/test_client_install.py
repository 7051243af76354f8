"""The installed C++ client (docs/cpp-client.md): `meson install` into a staging directory, then
examples/client_app/main.cc built the way an application outside this tree builds it, with
nothing but the staged headers, archives and kv-client.pc, and run against a real server.

The build directory is the one holding KV_SERVER_BIN (build/ by default). The install uses
--no-rebuild: the build is the caller's job (scripts/test.sh builds first), and a stale build
shows up as a failing example, not as a silent rebuild in the middle of the suite.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import KV_BIN, REPO_ROOT

pytestmark = pytest.mark.kv_only

BUILD_DIR = Path(KV_BIN).resolve().parent
EXAMPLE = REPO_ROOT / "examples" / "client_app" / "main.cc"

# What an application includes, by the path it includes it under (relative to include/kv).
PUBLIC_HEADERS = [
    "client/kv_client.h",
    "native_proto/frame.h",
    "native_proto/opcodes.h",
    "native_proto/value.h",
    "native_proto/value_codec.h",
    "core/decimal.h",
    "core/value_encoding.h",
]
# The client and exactly what it needs: no engine (libkv_core.a, with xxhash, fmt, jemalloc).
CLIENT_ARCHIVES = ["libkv_client.a", "libkv_native_proto.a", "libkv_core_values.a"]
PROGRAMS = ["kv-server", "kv-cli", "kv-benchmark", "kv-check"]


class Stage:
    """A `meson install --destdir` tree and the places in it."""

    def __init__(self, root: Path):
        self.root = root
        pcs = list(root.rglob("kv-client.pc"))
        assert len(pcs) == 1, f"expected one kv-client.pc under {root}, found {pcs}"
        self.pc = pcs[0]
        self.libdir = self.pc.parent.parent
        # <destdir><prefix>/<libdir>/pkgconfig/kv-client.pc; the prefix is where include/ is.
        prefix = self.libdir
        while not (prefix / "include").is_dir():
            assert prefix != root, f"no include/ above {self.libdir}"
            prefix = prefix.parent
        self.prefix = prefix
        self.include = prefix / "include" / "kv"
        self.extra_cflags: list[str] = []

    def pkg_config(self, *args: str) -> str:
        # PKG_CONFIG_LIBDIR (not _PATH): only the staged .pc files, never an installed one.
        # The sysroot maps the .pc's /usr/local/... paths into the staging directory.
        env = dict(os.environ, PKG_CONFIG_LIBDIR=str(self.pc.parent),
                   PKG_CONFIG_SYSROOT_DIR=str(self.root))
        env.pop("PKG_CONFIG_PATH", None)
        res = subprocess.run(["pkg-config", *args, "kv-client"], env=env, capture_output=True,
                             text=True, check=False)
        assert res.returncode == 0, res.stderr
        return res.stdout.strip()


@pytest.fixture(scope="module")
def stage(tmp_path_factory) -> Stage:
    # Not a skip: a server binary outside a build directory would silently drop this check.
    assert (BUILD_DIR / "meson-private").is_dir(), (
        f"{BUILD_DIR} is not a meson build directory: point KV_SERVER_BIN at <build>/kv-server")
    root = tmp_path_factory.mktemp("stage")
    res = subprocess.run(["meson", "install", "-C", str(BUILD_DIR), "--destdir", str(root),
                          "--no-rebuild", "--quiet"],
                         capture_output=True, text=True, timeout=300, check=False)
    assert res.returncode == 0, f"meson install failed\n{res.stdout}\n{res.stderr}"
    stage = Stage(root)
    # Archives from a sanitizer build (KV_SANITIZE=1, build-asan) reference the sanitizer
    # runtimes, which only a program built with the same -fsanitize links.
    res = subprocess.run(["meson", "introspect", "--buildoptions", str(BUILD_DIR)],
                         capture_output=True, text=True, timeout=60, check=True)
    options = {o["name"]: o["value"] for o in json.loads(res.stdout)}
    if options.get("b_sanitize", "none") != "none":
        stage.extra_cflags = [f"-fsanitize={options['b_sanitize']}"]
    return stage


def test_install_places_headers_archives_and_programs(stage):
    for h in PUBLIC_HEADERS:
        assert (stage.include / h).is_file(), f"{h} not installed under {stage.include}"
    for a in CLIENT_ARCHIVES:
        assert (stage.libdir / a).is_file(), f"{a} not installed in {stage.libdir}"
    assert not (stage.libdir / "libkv_core.a").exists(), "the engine is not part of the client"
    for p in PROGRAMS:
        assert os.access(stage.prefix / "bin" / p, os.X_OK), f"bin/{p} not installed"


def test_installed_headers_include_only_installed_headers(stage):
    # A quoted include that is not installed would compile here (the example's build cannot see
    # the source tree) only by accident; name it instead.
    missing = []
    for header in stage.include.rglob("*.h"):
        for inc in re.findall(r'^#include "([^"]+)"', header.read_text(), re.M):
            if not (stage.include / inc).is_file():
                missing.append(f"{header.relative_to(stage.include)} -> {inc}")
    assert not missing, missing


def test_pkg_config_points_into_the_install(stage):
    cflags = stage.pkg_config("--cflags").split()
    assert f"-I{stage.include}" in cflags, cflags
    libs = stage.pkg_config("--libs").split()
    assert f"-L{stage.libdir}" in libs, libs
    # Static archives: each before the ones it uses, Intel's decimal library last.
    names = [f for f in libs if f.startswith("-l")]
    assert names[:4] == ["-lkv_client", "-lkv_native_proto", "-lkv_core_values", "-lbidgcc000"], libs
    assert str(REPO_ROOT) not in " ".join(cflags + libs)


def test_example_builds_against_the_install_and_talks_to_a_server(stage, kv_server, tmp_path):
    # A copy, so the compiler cannot find a header next to the source file.
    src = tmp_path / "main.cc"
    shutil.copyfile(EXAMPLE, src)
    flags = stage.pkg_config("--cflags", "--libs").split()
    app = tmp_path / "client_app"
    cmd = ["c++", "-std=c++20", "-Wall", "-Wextra", "-Wpedantic", "-Werror", *stage.extra_cflags,
           str(src), *flags, "-o", str(app)]
    res = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300,
                         check=False)
    assert res.returncode == 0, f"{' '.join(cmd)}\n{res.stderr}"

    server = kv_server(native_port="auto")
    res = subprocess.run([str(app), f"kv://{server.host}:{server.native_port}/shop"],
                         capture_output=True, text=True, timeout=60, check=False)
    assert res.returncode == 0, res.stderr
    assert res.stdout == "price = 19.99 (decimal)\nstock = 38 (int)\n"

    # The values are on the server, in the URL's namespace, as RESP clients see them.
    r = server.client(single_connection_client=True)
    r.execute_command("SELECT", "shop")
    assert r.get("shop:price") == "19.99"
    assert r.get("shop:stock") == "38"

    res = subprocess.run([str(app), "kv://nowhere"], capture_output=True, text=True, timeout=60,
                         check=False)
    assert res.returncode == 2
    assert "bad url" in res.stderr
