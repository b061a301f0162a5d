#!/bin/bash
# Entrypoint of a weave-lab host (docker/host/Dockerfile): checks the injected SSH keys, gives the
# host a machine-id, starts sshd and the inner Docker engine, loads the Weave images (an offline
# archive, the machine's cache volume, or a registry), installs the weave script from the
# weaveexec image, builds lab/web:1 from the host's busybox, then marks itself ready for the
# HEALTHCHECK. Exits when sshd or dockerd exits, so Docker's restart policy applies.
set -euo pipefail

log() { echo "weave-lab-host[$(hostname)]: $*" >&2; }
die() { log "$*"; exit 1; }

# R, SSHD and DOCKERD exist for test/unit/host-entrypoint.test.ts, which runs this script against
# a scratch directory with fake daemons; in the image they keep their defaults.
R="${WEAVE_LAB_HOST_ROOT:-}"
SSHD="${WEAVE_LAB_SSHD:-/usr/sbin/sshd}"
DOCKERD="${WEAVE_LAB_DOCKERD:-dockerd}"
READY="$R/run/weave-lab/ready"
CACHE_DIR="$R/var/cache/weave-lab"
# Offline archives (`docker save` of the Weave images, .tar or .tar.zst) are mounted here.
ARCHIVE_DIR="$R/var/lib/weave-lab/images"
DIST="${WEAVE_DISTRIBUTION:-weaveworks}"
VERSION="${WEAVE_VERSION:-2.8.1}"
case "$DIST" in
  weaveworks) HUB_USER=weaveworks ;;
  rajch) HUB_USER=rajchaudhuri ;;
  *) die "unknown WEAVE_DISTRIBUTION '$DIST' (weaveworks or rajch)" ;;
esac
EXEC_IMAGE="$HUB_USER/weaveexec:$VERSION"
mkdir -p "$R/run/weave-lab" "$CACHE_DIR" "$R/usr/local/bin" "$R/etc/docker" "$R/var/log"
rm -f "$READY"

# 1. Keys. LocalLab uploads the per-stack host key and the client's public key before start.
#    Never generate a host key here: it would not be the one weave-lab pins.
[ -s "$R/etc/ssh/ssh_host_ed25519_key" ] || die "no host key at /etc/ssh/ssh_host_ed25519_key (LocalLab injects it); refusing to start sshd with an unpinned key"
[ -s "$R/root/.ssh/authorized_keys" ] || die "no /root/.ssh/authorized_keys (LocalLab injects the client key)"
chmod 600 "$R/etc/ssh/ssh_host_ed25519_key" "$R/root/.ssh/authorized_keys"
chmod 700 "$R/root/.ssh"

# 2. machine-id. Weave derives a peer name from it; a container has none (and no hardware UUID),
#    and a router launched without --name then dies with "All system IDs are blank". Stable for the
#    container's life: written once, kept across restarts. WEAVE_LAB_MACHINE_ID pins it.
if [ ! -s "$R/etc/machine-id" ]; then
  id="${WEAVE_LAB_MACHINE_ID:-$(tr -d '-' < /proc/sys/kernel/random/uuid)}"
  echo "$id" > "$R/etc/machine-id"
  log "machine-id $id"
fi

# 3. iptables backend. weaveworks/weave 2.8.1 programs legacy iptables; if the inner dockerd used
#    nft, Docker's FORWARD DROP policy would drop Weave traffic (reference G2). rajch 2.9.x
#    defaults to nft, like current engines.
if [ "$DIST" = weaveworks ] && command -v iptables-legacy >/dev/null 2>&1; then
  legacy="$R/usr/local/sbin/.weave-lab-iptables-legacy"
  mkdir -p "$legacy"
  for f in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
    target="$(command -v "$f-legacy" || true)"
    [ -n "$target" ] && ln -sf "$target" "$legacy/$f"
  done
  export PATH="$legacy:$PATH"
  log "using legacy iptables for the inner engine (Weave 2.8.1)"
fi

# 4. The inner engine's settings. WEAVE_LAB_INNER_RUNTIME names an OCI runtime binary to make the
#    default (machines that cannot grant every capability to --privileged containers need a
#    filter there; see README "Testing"); REGISTRY_MIRROR a pull-through cache.
{
  printf '{'
  sep=''
  if [ -n "${WEAVE_LAB_INNER_RUNTIME:-}" ]; then
    [ -x "$R$WEAVE_LAB_INNER_RUNTIME" ] || die "WEAVE_LAB_INNER_RUNTIME=$WEAVE_LAB_INNER_RUNTIME is not an executable file"
    printf '"runtimes": {"weave-lab": {"path": "%s"}}, "default-runtime": "weave-lab"' "$WEAVE_LAB_INNER_RUNTIME"
    sep=', '
  fi
  if [ -n "${REGISTRY_MIRROR:-}" ]; then
    printf '%s"registry-mirrors": ["%s"]' "$sep" "$REGISTRY_MIRROR"
  fi
  printf '}\n'
} > "$R/etc/docker/daemon.json"

# 5. sshd and the inner engine. sshd is kept running like a service manager would: restarted a
#    second after it ends, unless $R/run/weave-lab/sshd.hold exists (an operator or a fault test
#    stopping it on purpose). The host lives as long as its engine.
(
  trap 'kill -TERM "$child" 2>/dev/null; exit 0' TERM
  while :; do
    if [ ! -e "$R/run/weave-lab/sshd.hold" ]; then
      "$SSHD" -D -e &
      child=$!
      wait "$child" || true
    fi
    sleep 1
  done
) &
sshd_pid=$!
"$DOCKERD" --host=unix:///var/run/docker.sock >"$R/var/log/weave-lab-dockerd.log" 2>&1 &
dockerd_pid=$!
trap 'kill -TERM "$sshd_pid" "$dockerd_pid" 2>/dev/null; wait' TERM INT
# Whatever ends this script (a failed step included) ends the daemons too.
trap 'kill -TERM "$sshd_pid" "$dockerd_pid" 2>/dev/null || true' EXIT

deadline=$((SECONDS + 120))
until docker version >/dev/null 2>&1; do
  if ! kill -0 "$dockerd_pid" 2>/dev/null; then
    tail -n 20 "$R/var/log/weave-lab-dockerd.log" >&2 || true
    die "the inner Docker engine exited during start (its last lines above)"
  fi
  [ "$SECONDS" -lt "$deadline" ] || die "the inner Docker engine did not answer within 120 s"
  sleep 0.5
done
log "inner engine $(docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}}, min {{.Server.MinAPIVersion}})')"

# 6. Weave images, first source that has them: an offline archive mounted by LocalLab
#    (`weaveImagesArchive`), the machine's cache volume (saved by the first host that pulled), or
#    the registry (`docker pull` of the weaveexec image, then `weave setup` for the rest).
load_archive() {
  case "$1" in
    *.zst) zstd -dc -- "$1" | docker load -q >&2 ;;
    *) docker load -q -i "$1" >&2 ;;
  esac
}
have_exec() { docker image inspect "$EXEC_IMAGE" >/dev/null 2>&1; }
cache="$CACHE_DIR/$DIST-$VERSION.tar"
(
  flock 9
  shopt -s nullglob
  for a in "$ARCHIVE_DIR"/*.tar "$ARCHIVE_DIR"/*.tar.zst; do
    log "loading Weave images from the archive $(basename "$a")"
    load_archive "$a" || die "could not load the image archive $(basename "$a")"
  done
  if ! have_exec && [ -s "$cache" ]; then
    log "loading Weave images from the cache volume ($cache)"
    docker load -q -i "$cache" >&2
  fi
  if ! have_exec; then
    : > "$R/run/weave-lab/pulled"
    docker pull -q "$EXEC_IMAGE" >&2 || die "could not pull $EXEC_IMAGE: no registry access? Give weave-lab:local.weaveImagesArchive (see README, 'Local lab')"
  fi
) 9>"$CACHE_DIR/.lock"

# 7. The weave script, from the weaveexec image it belongs to (it matches the images exactly).
docker run --rm --entrypoint cat "$EXEC_IMAGE" /home/weave/weave > "$R/usr/local/bin/weave.tmp" \
  || die "could not read /home/weave/weave from $EXEC_IMAGE"
chmod 0755 "$R/usr/local/bin/weave.tmp"
mv "$R/usr/local/bin/weave.tmp" "$R/usr/local/bin/weave"
grep -q "^SCRIPT_VERSION=\"$VERSION\"" "$R/usr/local/bin/weave" \
  || die "the weave script in $EXEC_IMAGE is not version $VERSION ($(grep -m1 '^SCRIPT_VERSION=' "$R/usr/local/bin/weave" || echo 'no SCRIPT_VERSION'))"
images_present() {
  local img
  for img in "$HUB_USER/weave:$VERSION" "$EXEC_IMAGE" "$HUB_USER/weavedb:latest"; do
    docker image inspect "$img" >/dev/null 2>&1 || return 1
  done
}
(
  flock 9
  # `weave setup` pulls every image even when it is present: only call it for what is missing.
  images_present || { : > "$R/run/weave-lab/pulled"; weave setup >&2; } || die "weave setup failed: the Weave images could not be pulled (no registry access? give weave-lab:local.weaveImagesArchive, see README, 'Local lab')"
  if [ ! -s "$cache" ] && [ -e "$R/run/weave-lab/pulled" ]; then
    mapfile -t images < <(docker images --format '{{.Repository}}:{{.Tag}}' | grep -E '/weave(exec|db)?:' || true)
    if [ "${#images[@]}" -gt 0 ]; then
      docker save -o "$cache.tmp" "${images[@]}" && mv "$cache.tmp" "$cache"
      log "saved ${images[*]} to the cache volume"
    fi
  fi
) 9>"$CACHE_DIR/.lock"

# 8. lab/web:1, the textbook's web image, made from this host's static busybox: no registry needed.
if ! docker image inspect lab/web:1 >/dev/null 2>&1; then
  root="$(mktemp -d)"
  mkdir -p "$root/bin" "$root/tmp" "$root/www" "$root/etc"
  cp "$R/bin/busybox" "$root/bin/busybox"
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
log "ready: sshd on 22, Docker engine, Weave $DIST $VERSION images and script, lab/web:1"

# Exit when the engine does, so the container's restart policy takes over.
status=0
wait "$dockerd_pid" || status=$?
log "the inner engine exited (status $status); stopping"
kill -TERM "$sshd_pid" "$dockerd_pid" 2>/dev/null || true
exit "$status"
