#!/bin/bash
# Entrypoint of a weave-lab host (docker/host/Dockerfile): checks the injected SSH keys, starts
# sshd and the inner Docker engine, loads the Weave images (one download per machine, shared
# through the cache volume) and builds lab/web:1 from the host's busybox, then marks itself ready
# for the HEALTHCHECK. Exits when sshd or dockerd exits, so Docker's restart policy applies.
set -euo pipefail

log() { echo "weave-lab-host[$(hostname)]: $*" >&2; }
die() { log "$*"; exit 1; }

# R and SSHD exist for test/unit/host-entrypoint.test.ts, which runs this script against a
# scratch directory with fake daemons; in the image both keep their defaults.
R="${WEAVE_LAB_HOST_ROOT:-}"
SSHD="${WEAVE_LAB_SSHD:-/usr/sbin/sshd}"
READY="$R/run/weave-lab/ready"
CACHE_DIR="$R/var/cache/weave-lab"
mkdir -p "$R/run/weave-lab" "$CACHE_DIR"
rm -f "$READY"

# 1. Keys. LocalLab uploads the per-stack host key and the client's public key before start.
#    Never generate a host key here: it would not be the one weave-lab pins.
[ -s "$R/etc/ssh/ssh_host_ed25519_key" ] || die "no host key at /etc/ssh/ssh_host_ed25519_key (LocalLab injects it); refusing to start sshd with an unpinned key"
[ -s "$R/root/.ssh/authorized_keys" ] || die "no /root/.ssh/authorized_keys (LocalLab injects the client key)"
chmod 600 "$R/etc/ssh/ssh_host_ed25519_key" "$R/root/.ssh/authorized_keys"
chmod 700 "$R/root/.ssh"

# 2. iptables backend. weaveworks/weave 2.8.1 programs legacy iptables; if the inner dockerd used
#    nft, Docker's FORWARD DROP policy would drop Weave traffic (reference G2). rajch 2.9.x
#    defaults to nft, like current engines.
if [ "${WEAVE_DISTRIBUTION:-weaveworks}" = weaveworks ] && command -v iptables-legacy >/dev/null 2>&1; then
  legacy="$R/usr/local/sbin/.weave-lab-iptables-legacy"
  mkdir -p "$legacy"
  for f in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
    target="$(command -v "$f-legacy" || true)"
    [ -n "$target" ] && ln -sf "$target" "$legacy/$f"
  done
  export PATH="$legacy:$PATH"
  export DOCKER_IPTABLES_LEGACY=1
  log "using legacy iptables for the inner engine (Weave 2.8.1)"
fi

# 3. sshd (foreground, logs to stderr) and the inner engine through the image's own dind entrypoint.
"$SSHD" -D -e &
sshd_pid=$!
mirror_args=()
[ -n "${REGISTRY_MIRROR:-}" ] && mirror_args=(--registry-mirror "$REGISTRY_MIRROR")
dockerd-entrypoint.sh dockerd --host=unix:///var/run/docker.sock "${mirror_args[@]}" &
dockerd_pid=$!
trap 'kill -TERM "$sshd_pid" "$dockerd_pid" 2>/dev/null; wait' TERM INT
# Whatever ends this script (a failed step included) ends the daemons too.
trap 'kill -TERM "$sshd_pid" "$dockerd_pid" 2>/dev/null || true' EXIT

deadline=$((SECONDS + 120))
until docker version >/dev/null 2>&1; do
  kill -0 "$dockerd_pid" 2>/dev/null || die "the inner Docker engine exited during start (see the lines above)"
  [ "$SECONDS" -lt "$deadline" ] || die "the inner Docker engine did not answer within 120 s"
  sleep 0.5
done
log "inner engine $(docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}}, min {{.Server.MinAPIVersion}})')"

# 4. Weave images. `weave setup` pulls exactly what the pinned script uses (needs a registry,
#    Docker Hub by default). The first host on this machine saves them to the shared cache
#    volume; the others, and later labs, load the tarball instead of downloading again.
cache="$CACHE_DIR/${WEAVE_DISTRIBUTION:-weaveworks}-${WEAVE_VERSION:-unknown}.tar"
(
  flock 9
  if [ -s "$cache" ]; then
    log "loading Weave images from the cache volume ($cache)"
    docker load -q -i "$cache" >&2
  fi
  weave setup >&2 || die "weave setup failed: the Weave images could not be pulled (no registry access? see README, 'Local lab')"
  if [ ! -s "$cache" ]; then
    mapfile -t images < <(docker images --format '{{.Repository}}:{{.Tag}}' | grep -E '/weave(exec|db)?:' || true)
    if [ "${#images[@]}" -gt 0 ]; then
      docker save -o "$cache.tmp" "${images[@]}" && mv "$cache.tmp" "$cache"
      log "saved ${images[*]} to the cache volume"
    fi
  fi
) 9>"$CACHE_DIR/.lock"

# 5. lab/web:1, the textbook's web image, made from this host's busybox: no registry needed.
if ! docker image inspect lab/web:1 >/dev/null 2>&1; then
  root="$(mktemp -d)"
  mkdir -p "$root/bin" "$root/lib" "$root/tmp" "$root/www" "$root/etc"
  # The static busybox (package busybox-static) needs no libraries; the dynamic one needs musl's
  # loader, which also serves as libc.
  if [ -x "$R/bin/busybox.static" ]; then
    cp "$R/bin/busybox.static" "$root/bin/busybox"
  else
    cp "$R/bin/busybox" "$root/bin/busybox"
    ldd "$R/bin/busybox" 2>/dev/null | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }' | sort -u |
      while read -r lib; do cp -L "$lib" "$root/lib/"; done
    for lib in "$R"/lib/libc.musl-*; do [ -e "$lib" ] && cp -a "$lib" "$root/lib/"; done
  fi
  for applet in sh httpd ip hostname awk ping wget nslookup cat ls sleep; do ln -s busybox "$root/bin/$applet"; done
  cp -R "$R/usr/local/share/weave-lab/web/." "$root/www/"
  echo 'root:x:0:0:root:/:/bin/sh' > "$root/etc/passwd"
  tar -C "$root" -c . | docker import \
    --change 'CMD ["/bin/httpd", "-f", "-v", "-p", "80", "-h", "/www"]' \
    --change 'EXPOSE 80' - lab/web:1 >/dev/null
  rm -rf "$root"
  log "built lab/web:1 from busybox"
fi

touch "$READY"
log "ready: sshd on 22, Docker engine, Weave ${WEAVE_DISTRIBUTION:-weaveworks} ${WEAVE_VERSION:-?} images, lab/web:1"

# Exit when either daemon does, so the container's restart policy takes over.
status=0
wait -n "$sshd_pid" "$dockerd_pid" || status=$?
log "a daemon exited (status $status); stopping"
kill -TERM "$sshd_pid" "$dockerd_pid" 2>/dev/null || true
exit "$status"
