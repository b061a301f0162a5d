/**
 * scripts/lab.sh against fake `pulumi` and `docker` commands on PATH (the real CLIs are not
 * installed here): the checks it makes first, the Pulumi calls it makes, the files it writes.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PEM_BEGIN, PEM_END } from "../fake-key";

const REPO = path.resolve(__dirname, "..", "..");
const SCRIPT = path.join(REPO, "scripts", "lab.sh");

interface Fakes {
  pulumiVersion?: string | null;
  dockerVersion?: string | null;
  /** Whether `weave-lab:hosts[0].name` is configured (remote lab). */
  remote?: boolean;
}

function run(args: string[], fakes: Fakes, env: Record<string, string> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "weave-lab-script-"));
  const bin = path.join(dir, "bin");
  const log = path.join(dir, "calls.log");
  fs.mkdirSync(bin);
  const stack = env.WEAVE_LAB_STACK ?? `test-${path.basename(dir)}`;
  if (fakes.pulumiVersion !== null) {
    fs.writeFileSync(
      path.join(bin, "pulumi"),
      `#!/bin/sh
echo "pulumi $* | passphrase=\${PULUMI_CONFIG_PASSPHRASE:-} backend=\${PULUMI_BACKEND_URL:-}" >> ${log}
case "$1 $2" in
  "version "*) echo "v${fakes.pulumiVersion ?? "3.140.0"}" ;;
  "config get") ${fakes.remote ? "echo docker1" : "exit 1"} ;;
  "stack output")
    case "$3" in
      sshPrivateKey) echo "${PEM_BEGIN}"; echo "fake"; echo "${PEM_END}" ;;
      knownHosts) echo "[127.0.0.1]:2201 ssh-ed25519 AAAAfake" ;;
      rangeTable) echo "Range 172.16.16.0/24: 256 addresses" ;;
      sshCommands) echo '{"docker1":"echo ssh-to-docker1"}' ;;
      --json) echo '{"containers":{"docker1/web1":{"ip":"172.16.16.1","cidr":"172.16.16.1/24","fqdn":"web1.weave.local"}},"rangeSvgFile":"weave-lab-dev.svg"}' ;;
    esac ;;
esac
exit 0
`,
      { mode: 0o755 },
    );
  }
  if (fakes.dockerVersion !== null) {
    fs.writeFileSync(
      path.join(bin, "docker"),
      `#!/bin/sh\necho "docker $*" >> ${log}\n[ "$1" = version ] && echo "${fakes.dockerVersion ?? "27.3.1"}"\nexit 0\n`,
      { mode: 0o755 },
    );
  }
  // PATH holds only our fakes and the few tools the script uses, so a real pulumi or docker
  // installed on the machine cannot leak in.
  for (const tool of ["sh", "sed", "sort", "head", "mkdir", "rm", "dirname", "cat"]) {
    const found = ["/usr/bin", "/bin"].map((d) => path.join(d, tool)).find((p) => fs.existsSync(p));
    if (found) fs.symlinkSync(found, path.join(bin, tool));
  }
  fs.symlinkSync(process.execPath, path.join(bin, "node"));
  const r = spawnSync("/bin/bash", [SCRIPT, ...args], {
    encoding: "utf8",
    env: { PATH: bin, HOME: dir, ...env, WEAVE_LAB_STACK: stack },
  });
  const calls = fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [];
  const stateDir = path.join(REPO, ".lab-state", stack);
  const cleanup = (): void => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(stateDir, { recursive: true, force: true });
  };
  return { ...r, calls, stateDir, stack, cleanup };
}

describe("scripts/lab.sh", () => {
  it("says what to install when the Pulumi CLI is missing or too old", () => {
    const missing = run([], { pulumiVersion: null });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("the Pulumi CLI is missing: install 3.100.0 or newer");
    missing.cleanup();
    const old = run([], { pulumiVersion: "3.40.0" });
    expect(old.status).toBe(1);
    expect(old.stderr).toContain("Pulumi CLI 3.40.0 is too old: install 3.100.0 or newer.");
    old.cleanup();
  });

  it("says what to install when a local lab has no usable Docker", () => {
    const none = run([], { dockerVersion: null });
    expect(none.status).toBe(1);
    expect(none.stderr).toContain("Docker is missing: the local lab needs Docker Engine 20.10.0 or newer");
    none.cleanup();
    const old = run([], { dockerVersion: "19.03.12" });
    expect(old.stderr).toContain("Docker Engine 19.03.12 is too old for the local lab");
    old.cleanup();
  });

  it("brings the lab up on a repo-local file backend with the default passphrase and writes the key files", () => {
    const r = run([], {});
    try {
      expect(r.status).toBe(0);
      const pulumiCalls = r.calls.filter((c) => c.startsWith("pulumi ")).map((c) => c.split(" | ")[0]);
      expect(pulumiCalls).toContain(`pulumi stack select ${r.stack} --create --secrets-provider passphrase`);
      expect(pulumiCalls).toContain(`pulumi up --yes --stack ${r.stack}`);
      const up = r.calls.find((c) => c.startsWith("pulumi up"))!;
      expect(up).toContain("passphrase=weave-lab-local");
      expect(up).toContain(`backend=file://${REPO}/.lab-state/backend`);
      expect(r.stderr).toContain("PULUMI_CONFIG_PASSPHRASE not set");
      const key = path.join(r.stateDir, "id_ed25519");
      expect(fs.readFileSync(key, "utf8")).toContain(PEM_BEGIN);
      expect(fs.statSync(key).mode & 0o777).toBe(0o600);
      expect(fs.readFileSync(path.join(r.stateDir, "known_hosts"), "utf8")).toBe(
        "[127.0.0.1]:2201 ssh-ed25519 AAAAfake\n",
      );
      expect(r.stdout).toContain("docker1/web1");
      expect(r.stdout).toContain("172.16.16.1");
      expect(r.stdout).toContain("range picture: weave-lab-dev.svg");
    } finally {
      r.cleanup();
    }
  });

  it("keeps a passphrase the user set and does not need Docker for configured hosts", () => {
    const r = run(["up"], { dockerVersion: null, remote: true }, { PULUMI_CONFIG_PASSPHRASE: "mine" });
    try {
      expect(r.status).toBe(0);
      expect(r.calls.find((c) => c.startsWith("pulumi up"))).toContain("passphrase=mine");
      expect(r.stderr).not.toContain("PULUMI_CONFIG_PASSPHRASE not set");
    } finally {
      r.cleanup();
    }
  });

  it("tears down with destroy and removes the key files", () => {
    const stack = `test-destroy-${process.pid}`;
    const stateDir = path.join(REPO, ".lab-state", stack);
    fs.mkdirSync(stateDir, { recursive: true });
    fs.writeFileSync(path.join(stateDir, "id_ed25519"), "old key");
    fs.writeFileSync(path.join(stateDir, "known_hosts"), "old hosts");
    const r = run(["destroy"], {}, { WEAVE_LAB_STACK: stack });
    try {
      expect(r.status).toBe(0);
      expect(r.calls.map((c) => c.split(" | ")[0])).toContain(`pulumi destroy --yes --stack ${stack}`);
      expect(fs.existsSync(path.join(stateDir, "id_ed25519"))).toBe(false);
      expect(fs.existsSync(path.join(stateDir, "known_hosts"))).toBe(false);
    } finally {
      r.cleanup();
      fs.rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it("refuses unknown actions with the list of valid ones", () => {
    const r = run(["launch"], {});
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      "unknown action 'launch': use up, preview, refresh, destroy, outputs or ssh <host>",
    );
    r.cleanup();
  });
});
