#!/usr/bin/env bash
# The one test command (`npm test`): installs what the tests need on a fresh machine, then runs the
# static checks, the unit tests, the integration tests on the namespace lab (Weave double), and the
# host-facing integration suites again on Docker-in-Docker hosts running real Weave 2.8.1.
set -uo pipefail
cd "$(dirname "$0")/.."
export CHECKPOINT_DISABLE=1

need_apt=()
command -v sshd >/dev/null 2>&1 || [ -x /usr/sbin/sshd ] || need_apt+=(openssh-server)
command -v ssh-keygen >/dev/null 2>&1 || need_apt+=(openssh-client)
command -v ip >/dev/null 2>&1 || need_apt+=(iproute2)
command -v socat >/dev/null 2>&1 || need_apt+=(socat)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "run-all: need ${need_apt[*]} and root to install them" >&2
    exit 1
  fi
  echo "run-all: installing ${need_apt[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null || exit 1
fi
[ -d node_modules ] || npm ci --no-audit --no-fund || exit 1
npm run build --silent || exit 1

out=$(mktemp -d)
started=$(date +%s)
phase() { echo "run-all: $1 ($(($(date +%s) - started)) s)"; }

# Static checks: the type check covers the tests too (ts-jest's isolatedModules skips it).
static_rc=0
phase "type check, lint, format"
npm run --silent typecheck || static_rc=1
npx eslint . || static_rc=1
npx prettier --check . >/dev/null || { npx prettier --check . 2>&1 | tail -20; static_rc=1; }

phase "unit tests"
npx jest --selectProjects unit --json --outputFile="$out/unit.json"
unit_rc=$?
phase "integration tests on the namespace lab (Weave double)"
# The Docker suites (the DinD lab itself, the local lab) run in the real-Weave pass below.
npx jest --selectProjects integration --runInBand --json --outputFile="$out/integration.json" \
  --testPathIgnorePatterns 'test/integration/(dind-lab|local-lab)\.test\.ts'
int_rc=$?

# Real Weave 2.8.1 on Docker-in-Docker hosts: the suites that act on hosts, and the local lab.
phase "preparing Docker-in-Docker hosts with real Weave"
dind_rc=0
if settings=$(bash test/dind/prepare.sh); then
  while IFS='=' read -r k v; do [ -n "$k" ] && export "$k=$v"; done <<<"$settings"
  phase "integration tests on Docker-in-Docker hosts (real Weave 2.8.1)"
  WEAVE_LAB_KIND=dind npx jest --selectProjects integration --runInBand --json --outputFile="$out/real-weave.json" \
    test/integration/dind-lab.test.ts test/integration/routers.test.ts test/integration/containers.test.ts \
    test/integration/program-e2e.test.ts test/integration/dataplane.test.ts \
    test/integration/hosts-from-resources.test.ts $(ls test/integration/local-lab.test.ts 2>/dev/null)
  dind_rc=$?
else
  echo "run-all: the Docker-in-Docker hosts could not be prepared (see above)"
  dind_rc=1
fi
if [ -f .lab-state/test/dockerd.pid ]; then
  kill "$(cat .lab-state/test/dockerd.pid)" 2>/dev/null || true
  rm -f .lab-state/test/dockerd.pid
fi
phase "done"

node -e '
  const fs = require("fs");
  let p = 0, f = 0, t = 0;
  const names = { unit: "unit", integration: "integration (namespace lab, Weave double)", "real-weave": "integration (DinD hosts, real Weave 2.8.1)" };
  for (const n of Object.keys(names)) {
    const file = process.argv[1] + "/" + n + ".json";
    if (!fs.existsSync(file)) { console.log(names[n] + ": no result file"); f++; continue; }
    const r = JSON.parse(fs.readFileSync(file, "utf8"));
    console.log(names[n] + ": " + r.numPassedTests + " passed, " + r.numFailedTests + " failed of " + r.numTotalTests);
    p += r.numPassedTests; f += r.numFailedTests + r.numRuntimeErrorTestSuites; t += r.numTotalTests;
  }
  if (process.argv[2] !== "0") { console.log("static checks (tsc, eslint, prettier): failed"); f++; }
  if (t === 0) f++;
  console.log("tests: " + p + " passed, " + f + " failed");
' "$out" "$static_rc"
[ $static_rc -eq 0 ] && [ $unit_rc -eq 0 ] && [ $int_rc -eq 0 ] && [ $dind_rc -eq 0 ]
