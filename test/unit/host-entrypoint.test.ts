/**
 * docker/host/entrypoint.sh run for real with bash, against a scratch root (WEAVE_LAB_HOST_ROOT)
 * and fake daemons and CLIs on PATH: its key checks, the iptables choice, the one-download image
 * cache, the lab/web:1 image and the ready marker. (The image itself cannot be built here.)
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PEM_BEGIN } from "../fake-key";

const SCRIPT = path.resolve(__dirname, "..", "..", "docker", "host", "entrypoint.sh");
const WEB = path.resolve(__dirname, "..", "..", "docker", "host", "web");

interface Run {
  status: number | null;
  stderr: string;
  calls: string[];
  root: string;
}

/** A scratch host: keys (unless told otherwise), web content, a static "busybox", fake tools. */
function scratch(opts: { keys?: boolean; legacy?: boolean; setupFails?: boolean; cache?: boolean } = {}): {
  root: string;
  env: Record<string, string>;
  log: string;
} {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "weave-lab-entry-"));
  const bin = path.join(root, "fakebin");
  const log = path.join(root, "calls.log");
  fs.mkdirSync(bin);
  const write = (p: string, content: string, mode = 0o644): void => {
    fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
    fs.writeFileSync(path.join(root, p), content, { mode });
  };
  if (opts.keys !== false) {
    write("etc/ssh/ssh_host_ed25519_key", `${PEM_BEGIN}\nfake\n`, 0o644);
    write("root/.ssh/authorized_keys", "ssh-ed25519 AAAAfake client\n", 0o644);
  }
  fs.cpSync(WEB, path.join(root, "usr/local/share/weave-lab/web"), { recursive: true });
  write("bin/busybox.static", "#!/bin/sh\necho busybox\n", 0o755);
  if (opts.cache) write("var/cache/weave-lab/weaveworks-2.8.1.tar", "cached images");
  const fake = (name: string, body: string): void =>
    fs.writeFileSync(path.join(bin, name), `#!/bin/bash\necho "${name} $*" >> ${log}\n${body}\n`, {
      mode: 0o755,
    });
  fake(
    "docker",
    `case "$1" in
  version) [ "$2" = --format ] && echo "24.0.9 (API 1.43, min 1.12)"; exit 0 ;;
  load) exit 0 ;;
  images) printf 'weaveworks/weave:2.8.1\\nweaveworks/weaveexec:2.8.1\\nweaveworks/weavedb:latest\\nalpine:3\\n' ;;
  save) out="$3"; echo "saved" > "$out" ;;
  image) exit 1 ;;
  import) tar -t > ${root}/imported.list ;;
esac
exit 0`,
  );
  fake(
    "dockerd-entrypoint.sh",
    `echo "legacy=\${DOCKER_IPTABLES_LEGACY:-} iptables=$(command -v iptables)" >> ${log}\nexec sleep 30`,
  );
  fake("weave", opts.setupFails ? "echo 'pull access denied' >&2; exit 1" : "exit 0");
  fake("sshd", "sleep 1");
  if (opts.legacy) fake("iptables-legacy", "exit 0");
  return {
    root,
    log,
    env: {
      PATH: `${bin}:/usr/bin:/bin`,
      WEAVE_LAB_HOST_ROOT: root,
      WEAVE_LAB_SSHD: path.join(bin, "sshd"),
      WEAVE_DISTRIBUTION: "weaveworks",
      WEAVE_VERSION: "2.8.1",
      HOME: root,
    },
  };
}

function run(s: ReturnType<typeof scratch>, extraEnv: Record<string, string> = {}): Run {
  const r = spawnSync("bash", [SCRIPT], {
    env: { ...s.env, ...extraEnv },
    encoding: "utf8",
    timeout: 30_000,
  });
  const calls = fs.existsSync(s.log) ? fs.readFileSync(s.log, "utf8").trim().split("\n") : [];
  return { status: r.status, stderr: r.stderr, calls, root: s.root };
}

const cleanup = (r: Run): void => fs.rmSync(r.root, { recursive: true, force: true });

describe("docker/host/entrypoint.sh", () => {
  it("refuses to start without the injected host key (it never makes an unpinned one)", () => {
    const r = run(scratch({ keys: false }));
    try {
      expect(r.status).toBe(1);
      expect(r.stderr).toContain("no host key at /etc/ssh/ssh_host_ed25519_key (LocalLab injects it)");
      expect(r.calls.filter((c) => c.startsWith("sshd") || c.startsWith("dockerd"))).toEqual([]);
    } finally {
      cleanup(r);
    }
  });

  it("starts sshd and the engine, pulls the Weave images once into the cache, builds lab/web:1 and marks itself ready", () => {
    const r = run(scratch());
    try {
      expect(r.calls).toContain("sshd -D -e");
      expect(r.calls).toContain("dockerd-entrypoint.sh dockerd --host=unix:///var/run/docker.sock");
      expect(r.calls).toContain("weave setup");
      expect(r.calls.some((c) => c.startsWith("docker load"))).toBe(false);
      expect(r.calls).toContain(
        `docker save -o ${r.root}/var/cache/weave-lab/weaveworks-2.8.1.tar.tmp weaveworks/weave:2.8.1 weaveworks/weaveexec:2.8.1 weaveworks/weavedb:latest`,
      );
      expect(fs.readFileSync(path.join(r.root, "var/cache/weave-lab/weaveworks-2.8.1.tar"), "utf8")).toBe(
        "saved\n",
      );
      const imp = r.calls.find((c) => c.startsWith("docker import"))!;
      expect(imp).toContain('CMD ["/bin/httpd", "-f", "-v", "-p", "80", "-h", "/www"]');
      expect(imp.endsWith("- lab/web:1")).toBe(true);
      const files = fs.readFileSync(path.join(r.root, "imported.list"), "utf8").split("\n");
      expect(files).toEqual(
        expect.arrayContaining(["./bin/busybox", "./bin/httpd", "./www/cgi-bin/host", "./www/index.html"]),
      );
      expect(fs.existsSync(path.join(r.root, "run/weave-lab/ready"))).toBe(true);
      // Keys are made private before sshd reads them.
      expect(fs.statSync(path.join(r.root, "etc/ssh/ssh_host_ed25519_key")).mode & 0o777).toBe(0o600);
    } finally {
      cleanup(r);
    }
  });

  it("loads the Weave images from the shared cache instead of saving them again", () => {
    const r = run(scratch({ cache: true }));
    try {
      expect(r.calls).toContain(`docker load -q -i ${r.root}/var/cache/weave-lab/weaveworks-2.8.1.tar`);
      expect(r.calls.some((c) => c.startsWith("docker save"))).toBe(false);
    } finally {
      cleanup(r);
    }
  });

  it("points the inner engine at legacy iptables for Weave 2.8.1 only", () => {
    const legacy = run(scratch({ legacy: true }));
    const rajch = run(scratch({ legacy: true }), { WEAVE_DISTRIBUTION: "rajch", WEAVE_VERSION: "2.9.0" });
    try {
      expect(legacy.calls).toContain(
        `legacy=1 iptables=${legacy.root}/usr/local/sbin/.weave-lab-iptables-legacy/iptables`,
      );
      expect(rajch.calls.find((c) => c.startsWith("legacy="))).toMatch(/^legacy= /);
    } finally {
      cleanup(legacy);
      cleanup(rajch);
    }
  });

  it("fails, saying why, when the Weave images cannot be pulled, and stops the daemons it started", () => {
    const started = Date.now();
    const r = run(scratch({ setupFails: true }));
    try {
      // The fake engine would run 30 s if the script left it behind.
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain("weave setup failed: the Weave images could not be pulled");
      expect(fs.existsSync(path.join(r.root, "run/weave-lab/ready"))).toBe(false);
    } finally {
      cleanup(r);
    }
  });
});
