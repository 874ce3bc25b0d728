#!/usr/bin/env bash
# Install everything oci-conform and its tests need on a Debian 12 machine, as root:
# the runtimes, registry, image tools and browser from Debian, actool from the
# appc-spec package, and the Python package (with test extras) in ./.venv.
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBIAN_FRONTEND=noninteractive
APT_PACKAGES=(python3 python3-venv python3-pip git ca-certificates curl
              runc crun busybox-static docker-registry skopeo umoci
              chromium fonts-dejavu-core iproute2 util-linux procps zstd hyperfine)
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${APT_PACKAGES[@]}" >/dev/null
  # actool: Debian ships it in appc-spec, whose golang dependency we do not need.
  if [ ! -x .tools/actool ]; then
    tmp=$(mktemp -d)
    (cd "$tmp" && apt-get download -qq appc-spec >/dev/null && dpkg -x appc-spec_*.deb x)
    mkdir -p .tools
    install -m 0755 "$(find "$tmp/x" -type f -name actool | head -n1)" .tools/actool
    rm -rf "$tmp"
  fi
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q -e '.[test,lint]'
echo "setup done: .venv/bin/oci-conform"
