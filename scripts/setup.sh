#!/usr/bin/env bash
# Install everything oci-conform and its tests need on a Debian 12 machine, as root:
# the runtimes, registry, image tools and browser from Debian, actool from the
# appc-spec package, and the Python package (with test extras) in ./.venv.
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBIAN_FRONTEND=noninteractive
APT_PACKAGES=(python3 python3-venv python3-pip git ca-certificates curl
              runc crun busybox-static docker-registry skopeo umoci
              chromium fonts-dejavu-core iproute2 util-linux procps zstd hyperfine
              containerd podman runsc buildah docker.io)
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq
  # Tests start their own daemons (dockerd, containerd, docker-registry) in temp folders:
  # keep the packages from starting the host's services (Docker's would add a bridge and
  # firewall rules), through a policy-rc.d of our own while installing.
  own_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 0755 /usr/sbin/policy-rc.d
    own_policy=1
  fi
  apt-get install -y -qq --no-install-recommends "${APT_PACKAGES[@]}" >/dev/null \
    || { [ "$own_policy" = 0 ] || rm -f /usr/sbin/policy-rc.d; exit 1; }
  [ "$own_policy" = 0 ] || rm -f /usr/sbin/policy-rc.d
  if command -v systemctl >/dev/null; then
    systemctl disable docker.service docker.socket >/dev/null 2>&1 || true
  fi
  # actool: Debian ships it in appc-spec, whose golang dependency we do not need.
  if [ ! -x .tools/actool ]; then
    tmp=$(mktemp -d)
    (cd "$tmp" && apt-get download -qq appc-spec >/dev/null && dpkg -x appc-spec_*.deb x)
    mkdir -p .tools
    install -m 0755 "$(find "$tmp/x" -type f -name actool | head -n1)" .tools/actool
    rm -rf "$tmp"
  fi
fi

# The interpreter: $PYTHON when set, else Debian's own python3 (installed above, with
# python3-venv), else the first python3 on PATH. On a fresh Debian machine the first two
# are the same; a host whose PATH puts another python3 first (pyenv, a source build) would
# otherwise get that one: pyenv's shared-library build (the interpreter in libpython3.11.so)
# starts and runs our code 15-25% slower than Debian's (docs/performance.md, "Interpreter").
if [ -n "${PYTHON:-}" ]; then
  PY=$PYTHON
elif [ -x /usr/bin/python3 ]; then
  PY=/usr/bin/python3
else
  PY=python3
fi
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/pip install -q --upgrade pip
# editable_mode=compat puts the checkout on sys.path through a plain .pth line; the
# default (an import-hook finder) costs every interpreter start ~10 ms, which is most of
# what a reference-runtime call like `start` or `delete` costs.
# setuptools calls compat mode transitional; should it go, fall back (slower starts).
.venv/bin/pip install -q -e '.[test,lint]' --config-settings editable_mode=compat \
  || { echo "setup: compat editable install failed; using the default mode" >&2
       .venv/bin/pip install -q -e '.[test,lint]'; }
# Byte-compile now: with PYTHONDONTWRITEBYTECODE set (common in CI images) every run
# would otherwise compile the package again.
.venv/bin/python -m compileall -q oci_conform >/dev/null
echo "setup done: .venv/bin/oci-conform"
