#!/usr/bin/env bash
# The main-job command: `npm run lab` brings a Weave lab up, `npm run lab -- destroy` tears it down.
#
#   npm run lab [-- up|preview|destroy|outputs|ssh <host>|refresh] [extra pulumi flags]
#
# With no `weave-lab:hosts` in the stack config the lab is local: Docker-in-Docker hosts on this
# machine's Docker. Pulumi state goes to a file backend inside the repository
# (.lab-state/backend, git-ignored), not to your current `pulumi login`; the stack is
# $WEAVE_LAB_STACK (default `dev`). Secrets are encrypted with $PULUMI_CONFIG_PASSPHRASE; for the
# local lab a fixed default is used when you set none (it protects keys of throw-away containers
# only; set your own before pointing the lab at real hosts).
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
stack="${WEAVE_LAB_STACK:-dev}"
action="${1:-up}"
[ $# -gt 0 ] && shift
state_dir="$repo/.lab-state/$stack"

say() { printf 'lab: %s\n' "$*" >&2; }
die() { printf 'lab: %s\n' "$*" >&2; exit 1; }

# version_ge A B: true if version A >= B (numeric, dot-separated).
version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

MIN_PULUMI=3.100.0
MIN_NODE=20.0.0
MIN_DOCKER=20.10.0

command -v node >/dev/null 2>&1 || die "Node.js is missing: install Node $MIN_NODE or newer (https://nodejs.org)."
node_v="$(node -p 'process.versions.node')"
version_ge "$node_v" "$MIN_NODE" || die "Node.js $node_v is too old: install $MIN_NODE or newer."

command -v pulumi >/dev/null 2>&1 ||
  die "the Pulumi CLI is missing: install $MIN_PULUMI or newer, e.g. 'curl -fsSL https://get.pulumi.com | sh' (https://www.pulumi.com/docs/install/)."
pulumi_v="$(pulumi version | sed 's/^v//')"
version_ge "$pulumi_v" "$MIN_PULUMI" || die "Pulumi CLI $pulumi_v is too old: install $MIN_PULUMI or newer."

[ -d node_modules/@pulumi/pulumi ] || { say "installing node modules (npm ci)"; npm ci --no-audit --no-fund; }

export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$repo/.lab-state/backend}"
mkdir -p "$repo/.lab-state/backend"
if [ -z "${PULUMI_CONFIG_PASSPHRASE+x}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  export PULUMI_CONFIG_PASSPHRASE="weave-lab-local"
  say "PULUMI_CONFIG_PASSPHRASE not set: using the local-lab default (set your own for real hosts)"
fi
export PULUMI_SKIP_UPDATE_CHECK=1 CHECKPOINT_DISABLE=1

# A local lab needs Docker here; a lab on configured hosts does not.
local_lab() { ! pulumi config get --path 'weave-lab:hosts[0].name' --stack "$stack" >/dev/null 2>&1; }

check_docker() {
  command -v docker >/dev/null 2>&1 ||
    die "Docker is missing: the local lab needs Docker Engine $MIN_DOCKER or newer (or Docker Desktop) - https://docs.docker.com/engine/install/"
  local v
  v="$(docker version --format '{{.Server.Version}}' 2>/dev/null)" ||
    die "cannot reach the Docker daemon ('docker version' failed): start Docker, or set DOCKER_HOST / weave-lab:local.dockerHost."
  version_ge "${v%%[-+]*}" "$MIN_DOCKER" || die "Docker Engine $v is too old for the local lab: install $MIN_DOCKER or newer."
}

select_stack() {
  pulumi stack select "$stack" --create --secrets-provider passphrase >/dev/null
}

write_access_files() {
  # The client key and pinned host keys of a local lab, for the ssh commands in the outputs.
  local key
  key="$(pulumi stack output sshPrivateKey --show-secrets --stack "$stack" 2>/dev/null || true)"
  [ -n "$key" ] || return 0
  mkdir -p "$state_dir"
  (umask 077 && printf '%s\n' "$key" > "$state_dir/id_ed25519")
  pulumi stack output knownHosts --stack "$stack" > "$state_dir/known_hosts"
  say "wrote $state_dir/id_ed25519 and known_hosts (pinned host keys)"
}

show() {
  pulumi stack output rangeTable --stack "$stack" 2>/dev/null || true
  echo
  # shellcheck disable=SC2016 # JavaScript, not shell
  pulumi stack output --json --stack "$stack" | node -e '
    const o = JSON.parse(require("fs").readFileSync(0, "utf8"));
    for (const [k, c] of Object.entries(o.containers || {})) console.log(`${k.padEnd(16)} ${String(c.ip).padEnd(15)} ${c.cidr || ""} ${c.fqdn || ""}`);
    for (const [h, cmd] of Object.entries(o.sshCommands || {})) console.log(`ssh to ${h}: ${cmd}`);
    if (o.rangeSvgFile) console.log(`range picture: ${o.rangeSvgFile}`);
  '
}

case "$action" in
  up)
    select_stack
    if local_lab; then check_docker; fi
    pulumi up --yes --stack "$stack" "$@"
    write_access_files
    show
    ;;
  preview)
    select_stack
    pulumi preview --stack "$stack" "$@"
    ;;
  refresh)
    select_stack
    pulumi refresh --yes --stack "$stack" "$@"
    ;;
  destroy)
    select_stack
    if local_lab; then check_docker; fi
    pulumi destroy --yes --stack "$stack" "$@"
    rm -f "$state_dir/id_ed25519" "$state_dir/known_hosts"
    ;;
  outputs)
    select_stack
    show
    ;;
  ssh)
    [ $# -ge 1 ] || die "usage: npm run lab -- ssh <host> [command…]"
    host="$1"
    shift
    select_stack
    # shellcheck disable=SC2016 # JavaScript, not shell
    cmd="$(pulumi stack output sshCommands --json --stack "$stack" | node -e '
      const o = JSON.parse(require("fs").readFileSync(0, "utf8")) || {};
      const c = o[process.argv[1]];
      if (!c) { console.error(`no local host ${process.argv[1]}; hosts: ${Object.keys(o).join(", ")}`); process.exit(1); }
      console.log(c);' "$host")"
    # The command is ours (from the program), split on spaces: no user text is evaluated.
    read -r -a argv <<< "$cmd"
    exec "${argv[@]}" "$@"
    ;;
  *)
    die "unknown action '$action': use up, preview, refresh, destroy, outputs or ssh <host>"
    ;;
esac
