#!/usr/bin/env bash
# Installs what building and testing need on a fresh Debian machine (as root,
# with apt-get). Does nothing for packages already present.
set -euo pipefail
packages=(qemu-system-x86 nasm libarchive-dev libssl-dev pkg-config skopeo umoci oci-image-tool podman
  containerd python3-jsonschema golang-github-opencontainers-image-spec-dev
  golang-github-opencontainers-specs-dev hyperfine iproute2 iputils-ping curl dnsmasq-base)
missing=()
packages+=(buildah)  # a FROM scratch image built by another tool (Tests/ImageToolTests/ForeignImageTests)
packages+=(zlib1g-dev)  # zlib.h: strict gzip for layers (Sources/CArchive/shim.h)
packages+=(hping3)  # SYN floods in a test namespace (Tests/GuestTests/SynFloodTests)
packages+=(musl-dev)  # musl's libm objects for apps (Makefile, Sources/Kernel/runtime/libm.c)
packages+=(runc busybox-static)  # Linux containers handed to runc (Tests/RuntimeTests/RuncDelegateTests)
# The CRI end-to-end test (Tests/RuntimeTests/CRITests, scripts/cri-pod.py): a pod
# network, a gRPC client, and gcc for the static pause of the sandbox image.
packages+=(containernetworking-plugins python3-grpcio python3-protobuf gcc libc6-dev)
# hermit-runtime links fully static (Package.swift): libc.a, libstdc++.a.
packages+=(libstdc++-12-dev)
# QEMU runs as this unprivileged system user, not root (issue 13; see README
# "Confinement"). hermit-runtime falls back to nobody without it.
create_qemu_user() {
  getent passwd hermit >/dev/null && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: no 'hermit' user; run as root to create it (QEMU then runs as nobody)" >&2
    return 0
  fi
  useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
    --user-group hermit
  echo "setup: created system user hermit for QEMU" >&2
}
trap create_qemu_user EXIT
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "setup: missing packages: ${missing[*]}; run as root or install them with apt-get" >&2
  exit 1
fi
echo "setup: installing ${missing[*]}" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
