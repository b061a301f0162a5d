#!/usr/bin/env bash
# The one test command (`npm test`): installs what the tests need on a fresh machine, builds the
# Weave double, runs the unit tests, then the integration tests on the namespace lab.
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
npx jest --selectProjects unit --json --outputFile="$out/unit.json"
unit_rc=$?
npx jest --selectProjects integration --runInBand --json --outputFile="$out/integration.json"
int_rc=$?
node -e '
  const fs = require("fs");
  let p = 0, f = 0, t = 0;
  for (const n of ["unit", "integration"]) {
    const file = process.argv[1] + "/" + n + ".json";
    if (!fs.existsSync(file)) { console.log(n + ": no result file"); f++; continue; }
    const r = JSON.parse(fs.readFileSync(file, "utf8"));
    console.log(n + ": " + r.numPassedTests + " passed, " + r.numFailedTests + " failed of " + r.numTotalTests);
    p += r.numPassedTests; f += r.numFailedTests + r.numRuntimeErrorTestSuites; t += r.numTotalTests;
  }
  if (t === 0) f++;
  console.log("tests: " + p + " passed, " + f + " failed");
' "$out"
[ $unit_rc -eq 0 ] && [ $int_rc -eq 0 ]
