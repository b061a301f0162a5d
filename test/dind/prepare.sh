#!/usr/bin/env bash
# Prepares this machine for the real-Weave test lab (test/lab/dind.ts), as `npm test` needs it on
# a fresh machine: Debian's docker.io (dockerd started if none answers), a Debian base image, the
# host image built from docker/host, and the Weave images archive. Prints the settings as
# KEY=VALUE lines on stdout (sourced by test/run-all.sh); says what it does on stderr.
#
# Sources, in order of preference, each said on stderr:
# - base image: debian:bookworm-slim from a registry if one answers within 20 s, else a bookworm
#   root made with debootstrap from the machine's Debian mirror (cached as weave-lab-base:bookworm);
# - Weave images: ../shared/weave-images/weave-2.8.1-images.tar.zst beside the clone (checked
#   against its SHA256SUMS), else nothing: the hosts then pull from Docker Hub.
# - privileged containers: plain --privileged if it works; where the machine cannot grant every
#   capability ("unable to apply caps"), the runc-capfilter shim from ../shared/tools (test set-up
#   only; the product never needs it).
set -euo pipefail
cd "$(dirname "$0")/../.."
say() { echo "dind-prepare: $*" >&2; }
state=.lab-state/test
mkdir -p "$state"

need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
command -v zstd >/dev/null 2>&1 || need+=(zstd)
command -v iptables >/dev/null 2>&1 || need+=(iptables)
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# 1. A Docker engine. One we start is stopped by run-all.sh at the end (its pid is written here).
if ! docker version >/dev/null 2>&1; then
  say "no Docker engine answers: starting dockerd (log: $state/dockerd.log)"
  nohup dockerd >"$state/dockerd.log" 2>&1 &
  echo $! >"$state/dockerd.pid"
  for _ in $(seq 1 60); do docker version >/dev/null 2>&1 && break; sleep 1; done
  docker version >/dev/null 2>&1 || { tail -20 "$state/dockerd.log" >&2; say "dockerd did not start"; exit 1; }
fi

# 2. A base image from Debian packages.
base=debian:bookworm-slim
if ! docker image inspect "$base" >/dev/null 2>&1 && ! timeout 20 docker pull -q "$base" >/dev/null 2>&1; then
  base=weave-lab-base:bookworm
  if docker image inspect "$base" >/dev/null 2>&1; then
    say "no registry answers: using the cached debootstrap image $base"
  else
    mirror=$(grep -hoE '^URIs: *\S+' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1 | awk '{print $2}')
    [ -n "$mirror" ] || mirror=$(grep -hoE '^deb +\S+' /etc/apt/sources.list 2>/dev/null | head -1 | awk '{print $2}')
    say "no registry answers: building $base with debootstrap from $mirror (2-3 minutes, once)"
    root=$(mktemp -d)
    debootstrap --variant=minbase bookworm "$root" "$mirror" >"$state/debootstrap.log" 2>&1 \
      || { tail -20 "$state/debootstrap.log" >&2; exit 1; }
    tar -C "$root" -c . | docker import - "$base" >/dev/null
    rm -rf "$root"
  fi
else
  say "base image $base from the registry"
fi

# 3. Privileged containers.
runtime=""
inner=""
if ! out=$(docker run --rm --privileged "$base" true 2>&1); then
  if ! grep -q "unable to apply caps" <<<"$out"; then say "docker run --privileged failed: $out"; exit 1; fi
  shim=../shared/tools/runc-capfilter/runc-capfilter
  [ -x "$shim" ] || { say "--privileged fails here (unable to apply caps) and $shim is missing"; exit 1; }
  say "--privileged cannot get every capability here: using runc-capfilter (test set-up only)"
  install -m 0755 "$shim" /usr/local/sbin/runc-capfilter
  if ! docker info --format '{{json .Runtimes}}' | grep -q '"capfilter"'; then
    mkdir -p /etc/docker
    node -e '
      const fs = require("fs"); const f = "/etc/docker/daemon.json";
      const c = fs.existsSync(f) ? JSON.parse(fs.readFileSync(f, "utf8") || "{}") : {};
      c.runtimes = { ...(c.runtimes || {}), capfilter: { path: "/usr/local/sbin/runc-capfilter" } };
      fs.writeFileSync(f, JSON.stringify(c, null, 2) + "\n");'
    pkill -HUP -x dockerd
    for _ in $(seq 1 20); do docker info --format '{{json .Runtimes}}' | grep -q '"capfilter"' && break; sleep 0.5; done
  fi
  runtime=capfilter
  inner=/usr/local/sbin/runc-capfilter
fi

# 4. The host image, tagged by the digest of docker/host so a changed entrypoint rebuilds it.
digest=$( (cd docker/host && find . -type f -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-12)
image="weave-lab-host:test-$digest"
if docker image inspect "$image" >/dev/null 2>&1; then
  say "host image $image (cached)"
else
  say "building host image $image from docker/host on $base"
  docker build -q --build-arg BASE_IMAGE="$base" -t "$image" docker/host >"$state/build.log" 2>&1 \
    || { tail -30 "$state/build.log" >&2; exit 1; }
fi

# 5. The Weave images.
archive=""
dir=../shared/weave-images
if [ -f "$dir/weave-2.8.1-images.tar.zst" ] && (cd "$dir" && sha256sum -c --quiet SHA256SUMS >&2); then
  archive=$(cd "$dir" && pwd)/weave-2.8.1-images.tar.zst
  say "Weave 2.8.1 images from the archive beside the clone (../shared/weave-images)"
else
  say "no Weave image archive beside the clone: the hosts pull the images from Docker Hub"
fi

echo "WEAVE_LAB_DIND_IMAGE=$image"
echo "WEAVE_LAB_DIND_RUNTIME=$runtime"
echo "WEAVE_LAB_DIND_INNER_RUNTIME=$inner"
echo "WEAVE_LAB_IMAGES_ARCHIVE=$archive"
echo "WEAVE_LAB_BASE_IMAGE=$base"
