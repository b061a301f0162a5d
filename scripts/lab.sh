#!/usr/bin/env bash
# The main-job command: `npm run lab` brings a Weave lab up, `npm run lab -- destroy` tears it down.
# `npm run lab -- --help` describes every action (and changes nothing).
#
# With no hosts in the stack config the lab is local: Docker-in-Docker hosts on this machine's
# Docker. Pulumi state goes to a file backend inside the repository (.lab-state/backend,
# git-ignored), not to your current `pulumi login`; the stack is $WEAVE_LAB_STACK (default `dev`).
# `npm run lab -- config …` and `npm run lab -- pulumi …` run Pulumi on that same backend and stack.
# Secrets are encrypted with $PULUMI_CONFIG_PASSPHRASE; a fixed, public default is used for a
# local lab when you set none. A lab on your own hosts refuses that default.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: npm run lab [-- <action> [args…]]

  up                 (default) bring the lab up: pulumi up --yes, then write the local lab's
                     ssh key and known_hosts to .lab-state/<stack>/ and print the range table,
                     container addresses and ssh commands
  preview            pulumi preview: what up would change (a bad config fails here, every problem listed)
  refresh            pulumi refresh --yes
  destroy            pulumi destroy --yes, and remove the key files
  outputs            print the range table, container addresses and ssh commands again
  ssh <host> [cmd…]  a shell (or a command) on a local lab host
  config <args…>     pulumi config <args…> on the lab's backend and stack, e.g.
                       npm run lab -- config set --path 'weave-lab:hosts[0].name' docker1
  pulumi <args…>     any other pulumi command on the lab's backend and stack
  help, --help, -h   this text; nothing is checked, installed or changed

Extra arguments of up, preview, refresh and destroy go to pulumi (npm run lab -- up --diff).

Environment:
  WEAVE_LAB_STACK            stack name (default: dev)
  PULUMI_BACKEND_URL         state backend (default: file backend in .lab-state/backend)
  PULUMI_CONFIG_PASSPHRASE   passphrase of the stack's secrets (or PULUMI_CONFIG_PASSPHRASE_FILE).
                             Unset: the public default 'weave-lab-local', accepted for local labs
                             only; a lab on your own hosts (weave-lab:hosts, or a specFile with
                             hosts) needs your own, and so does 'config set' of a secret, hosts,
                             a spec file or the Weave password.
USAGE
}

case "${1:-}" in
  help | --help | -h)
    usage
    exit 0
    ;;
esac

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
default_passphrase=false
if [ -z "${PULUMI_CONFIG_PASSPHRASE+x}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  export PULUMI_CONFIG_PASSPHRASE="weave-lab-local"
  default_passphrase=true
  say "PULUMI_CONFIG_PASSPHRASE not set: using the local-lab default (set your own for real hosts)"
fi
export PULUMI_SKIP_UPDATE_CHECK=1 CHECKPOINT_DISABLE=1

# A local lab needs Docker here; a lab on configured hosts does not. Hosts come from
# weave-lab:hosts or from the spec file weave-lab:specFile names (relative to the repository).
local_lab() {
  pulumi config get --path 'weave-lab:hosts[0].name' --stack "$stack" >/dev/null 2>&1 && return 1
  local spec
  spec="$(pulumi config get weave-lab:specFile --stack "$stack" 2>/dev/null)" || return 0
  # shellcheck disable=SC2016 # JavaScript, not shell
  node -e '
    const s = require("yaml").parse(require("fs").readFileSync(process.argv[1], "utf8"));
    process.exit(s && Array.isArray(s.hosts) && s.hosts.length > 0 ? 1 : 0);' "$spec" 2>/dev/null
}

# The public default passphrase protects only keys of throw-away local containers.
refuse_default_passphrase() {
  [ "$default_passphrase" = true ] || return 0
  die "$1: the default passphrase 'weave-lab-local' is public and would not protect your SSH keys or the Weave password. Set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) to a passphrase of your own and run this again. Nothing was changed."
}
remote_guard() {
  if ! local_lab; then refuse_default_passphrase "this stack ($stack) is a lab on your own hosts"; fi
}

# Setting a secret, or hosts, with the default passphrase would put real credentials under it.
config_guard() {
  case "${1:-}" in set | set-all) ;; *) return 0 ;; esac
  local a
  for a in "$@"; do
    case "$a" in
      --secret) refuse_default_passphrase "'config $1 --secret'" ;;
      weave-lab:hosts* | weave-lab:specFile* | weave-lab:sshPrivateKey* | weave-lab:password*)
        refuse_default_passphrase "'config $1 $a' makes this a lab on your own hosts" ;;
    esac
  done
}

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
    remote_guard
    if local_lab; then check_docker; fi
    pulumi up --yes --stack "$stack" "$@"
    write_access_files
    show
    ;;
  preview)
    select_stack
    remote_guard
    pulumi preview --stack "$stack" "$@"
    ;;
  refresh)
    select_stack
    remote_guard
    pulumi refresh --yes --stack "$stack" "$@"
    ;;
  destroy)
    select_stack
    remote_guard
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
  config)
    config_guard "$@"
    select_stack
    pulumi config "$@" --stack "$stack"
    ;;
  pulumi)
    select_stack
    remote_guard
    pulumi "$@"
    ;;
  *)
    die "unknown action '$action': use up, preview, refresh, destroy, outputs, ssh <host>, config or pulumi (npm run lab -- --help)"
    ;;
esac
