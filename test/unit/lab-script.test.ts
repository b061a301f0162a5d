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
  /** Value of `weave-lab:specFile`, if set. */
  specFile?: string;
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
  "config get")
    case "$*" in
      *weave-lab:hosts*) ${fakes.remote ? "echo docker1" : "exit 1"} ;;
      *weave-lab:specFile*) ${fakes.specFile ? `echo "${fakes.specFile}"` : "exit 1"} ;;
      *) exit 1 ;;
    esac ;;
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
      "unknown action 'launch': use up, preview, refresh, destroy, outputs, ssh <host>, config or pulumi (npm run lab -- --help)",
    );
    r.cleanup();
  });

  it.each([["--help"], ["-h"], ["help"]])(
    "%s prints the usage and checks, installs or changes nothing",
    (flag) => {
      // No pulumi and no docker on PATH: a script that checked anything first would fail.
      const r = run([flag], { pulumiVersion: null, dockerVersion: null });
      try {
        expect(r.status).toBe(0);
        expect(r.stdout).toContain("Usage: npm run lab [-- <action> [args…]]");
        for (const action of [
          "up",
          "preview",
          "refresh",
          "destroy",
          "outputs",
          "ssh <host>",
          "config <args…>",
          "pulumi <args…>",
        ])
          expect(r.stdout).toMatch(new RegExp(`^  ${action.replace(/[<>…]/g, ".")} `, "m"));
        expect(r.stderr).toBe("");
        expect(r.calls).toEqual([]);
        expect(fs.existsSync(r.stateDir)).toBe(false);
      } finally {
        r.cleanup();
      }
    },
  );

  it("runs `config …` on the repo-local backend and the lab's stack", () => {
    const r = run(["config", "set", "--path", "weave-lab:local.hosts", "4"], {});
    try {
      expect(r.status).toBe(0);
      const set = r.calls.find((c) => c.startsWith("pulumi config set"))!;
      expect(set.split(" | ")[0]).toBe(`pulumi config set --path weave-lab:local.hosts 4 --stack ${r.stack}`);
      expect(set).toContain(`backend=file://${REPO}/.lab-state/backend`);
      const order = r.calls.map((c) => c.split(" ").slice(0, 3).join(" "));
      expect(order.indexOf("pulumi stack select")).toBeLessThan(order.indexOf("pulumi config set"));
    } finally {
      r.cleanup();
    }
  });

  it("runs any other pulumi command on the same backend with `pulumi …`", () => {
    const r = run(["pulumi", "stack", "ls"], {});
    try {
      expect(r.status).toBe(0);
      const ls = r.calls.find((c) => c.startsWith("pulumi stack ls"))!;
      expect(ls).toContain(`backend=file://${REPO}/.lab-state/backend`);
    } finally {
      r.cleanup();
    }
  });

  describe("the public default passphrase is for local labs only", () => {
    const refusal = "the default passphrase 'weave-lab-local' is public";

    it.each([["up"], ["preview"], ["refresh"], ["destroy"]])(
      "%s on a stack with configured hosts is refused before pulumi changes anything",
      (action) => {
        const r = run([action], { remote: true, dockerVersion: null });
        try {
          expect(r.status).toBe(1);
          expect(r.stderr).toContain(`this stack (${r.stack}) is a lab on your own hosts: ${refusal}`);
          expect(r.stderr).toContain("Nothing was changed.");
          expect(r.calls.filter((c) => /^pulumi (up|preview|refresh|destroy)/.test(c))).toEqual([]);
        } finally {
          r.cleanup();
        }
      },
    );

    it("a spec file with hosts makes the lab remote too (and needs no Docker)", () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "weave-lab-spec-"));
      const spec = path.join(dir, "lab.yaml");
      fs.writeFileSync(spec, "hosts:\n  - { name: docker1, address: 10.10.10.101 }\n");
      try {
        const refused = run(["up"], { specFile: spec, dockerVersion: null });
        expect(refused.status).toBe(1);
        expect(refused.stderr).toContain(refusal);
        refused.cleanup();
        const own = run(
          ["up"],
          { specFile: spec, dockerVersion: null },
          { PULUMI_CONFIG_PASSPHRASE: "mine" },
        );
        expect(own.status).toBe(0);
        expect(own.calls.some((c) => c.startsWith("pulumi up"))).toBe(true);
        expect(own.calls.some((c) => c.startsWith("docker"))).toBe(false);
        own.cleanup();
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it.each([
      [["config", "set", "--secret", "weave-lab:sshPrivateKey"]],
      [["config", "set", "--path", "weave-lab:hosts[0].name", "docker1"]],
      [["config", "set", "weave-lab:password", "x"]],
    ])("config %p is refused with the default and runs with a passphrase of your own", (args) => {
      const refused = run(args, {});
      try {
        expect(refused.status).toBe(1);
        expect(refused.stderr).toContain(refusal);
        expect(refused.calls.filter((c) => c.startsWith("pulumi config set"))).toEqual([]);
      } finally {
        refused.cleanup();
      }
      const own = run(args, {}, { PULUMI_CONFIG_PASSPHRASE: "mine" });
      try {
        expect(own.status).toBe(0);
        expect(own.calls.find((c) => c.startsWith("pulumi config set"))).toContain("passphrase=mine");
      } finally {
        own.cleanup();
      }
    });

    it("a passphrase file counts as your own", () => {
      const r = run(
        ["up"],
        { remote: true, dockerVersion: null },
        { PULUMI_CONFIG_PASSPHRASE_FILE: "/dev/null" },
      );
      try {
        expect(r.status).toBe(0);
        expect(r.stderr).not.toContain(refusal);
      } finally {
        r.cleanup();
      }
    });
  });
});
