/**
 * docker/host/entrypoint.sh run for real with bash, against a scratch root (WEAVE_LAB_HOST_ROOT)
 * with fake daemons (WEAVE_LAB_SSHD, WEAVE_LAB_DOCKERD) and a fake `docker` CLI that keeps its
 * image store in a file: the key checks, the machine-id, the inner engine's settings, the order
 * of image sources (offline archive, cache volume, registry), the weave script taken from the
 * weaveexec image, lab/web:1 and the ready marker. The image itself is built by the local-lab
 * integration test.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { IMAGES_DIR } from "../../components/local-lab";
import { PEM_BEGIN } from "../fake-key";

const SCRIPT = path.resolve(__dirname, "..", "..", "docker", "host", "entrypoint.sh");
const WEB = path.resolve(__dirname, "..", "..", "docker", "host", "web");
const WEAVE_IMAGES = ["weaveworks/weave:2.8.1", "weaveworks/weaveexec:2.8.1", "weaveworks/weavedb:latest"];

interface Scratch {
  root: string;
  env: Record<string, string>;
  log: string;
}
interface Run {
  status: number | null;
  stderr: string;
  calls: string[];
  root: string;
}

interface ScratchOptions {
  keys?: boolean;
  legacy?: boolean;
  /** `weave setup` (the registry) fails. */
  setupFails?: boolean;
  /** The machine's cache volume already holds the images. */
  cache?: boolean;
  /** Offline archives mounted under /var/lib/weave-lab/images. */
  archives?: string[];
  /** Images the inner engine has before the script runs. */
  present?: string[];
}

function scratch(opts: ScratchOptions = {}): Scratch {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "weave-lab-entry-"));
  const bin = path.join(root, "fakebin");
  const log = path.join(root, "calls.log");
  const store = path.join(root, "images.txt");
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
  write("bin/busybox", "#!/bin/sh\necho busybox\n", 0o755);
  if (opts.cache) write("var/cache/weave-lab/weaveworks-2.8.1.tar", "cached images");
  for (const a of opts.archives ?? []) write(path.join(IMAGES_DIR, a).slice(1), "archive");
  fs.writeFileSync(store, (opts.present ?? []).map((i) => `${i}\n`).join(""));
  const fake = (name: string, body: string): void =>
    fs.writeFileSync(path.join(bin, name), `#!/bin/bash\necho "${name} $*" >> ${log}\n${body}\n`, {
      mode: 0o755,
    });
  const addAll = WEAVE_IMAGES.map((i) => `echo ${i} >> ${store}`).join("; ");
  fake(
    "docker",
    `case "$1" in
  version) [ "$2" = --format ] && echo "20.10.24+dfsg1 (API 1.41, min 1.12)"; exit 0 ;;
  load) cat > /dev/null; ${addAll}; exit 0 ;;
  pull) echo "$3" >> ${store}; exit 0 ;;
  image) grep -qx "$3" ${store} ;;
  images) sort -u ${store}; echo alpine:3 ;;
  save) echo "saved" > "$3" ;;
  run) image="\${@: -2:1}"; grep -qx "$image" ${store} || exit 1
       printf '#!/bin/sh\\nSCRIPT_VERSION="%s"\\n' "\${image##*:}" ;;
  import) tar -t > ${root}/imported.list ;;
esac`,
  );
  // The engine runs until the host is ready (then exits, so the script ends) or for 30 s at most.
  fake(
    "dockerd",
    `echo $$ > ${root}/dockerd.pid
echo "iptables=$(command -v iptables)" >> ${log}
for _ in $(seq 300); do [ -e ${root}/run/weave-lab/ready ] && exit 0; sleep 0.1; done`,
  );
  fake("zstd", `cat "\${@: -1}"`);
  fake("weave", opts.setupFails ? "echo 'pull access denied' >&2; exit 1" : `${addAll}; exit 0`);
  fake("sshd", "sleep 1");
  if (opts.legacy) fake("iptables-legacy", "exit 0");
  return {
    root,
    log,
    env: {
      PATH: `${bin}:/usr/bin:/bin`,
      WEAVE_LAB_HOST_ROOT: root,
      WEAVE_LAB_SSHD: path.join(bin, "sshd"),
      WEAVE_LAB_DOCKERD: path.join(bin, "dockerd"),
      WEAVE_DISTRIBUTION: "weaveworks",
      WEAVE_VERSION: "2.8.1",
      HOME: root,
    },
  };
}

function run(s: Scratch, extraEnv: Record<string, string> = {}): Run {
  const r = spawnSync("bash", [SCRIPT], {
    env: { ...s.env, ...extraEnv },
    encoding: "utf8",
    timeout: 45_000,
  });
  const calls = fs.existsSync(s.log) ? fs.readFileSync(s.log, "utf8").trim().split("\n") : [];
  return { status: r.status, stderr: r.stderr, calls, root: s.root };
}

const cleanup = (r: Run): void => fs.rmSync(r.root, { recursive: true, force: true });
const read = (r: Run, p: string): string => fs.readFileSync(path.join(r.root, p), "utf8");
const ready = (r: Run): boolean => fs.existsSync(path.join(r.root, "run/weave-lab/ready"));
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
/** Whether `pid` is gone within a few seconds (a TERMed process ends its current sleep first). */
async function ends(pid: number): Promise<boolean> {
  for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  return !alive(pid);
}

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

  it("loads an offline archive instead of pulling, takes the weave script from the weaveexec image and marks itself ready", () => {
    const r = run(scratch({ archives: ["weave-2.8.1-images.tar"] }), {
      WEAVE_LAB_MACHINE_ID: "a".repeat(32),
    });
    try {
      expect(r.status).toBe(0);
      expect(r.calls).toContain("sshd -D -e");
      expect(r.calls).toContain("dockerd --host=unix:///var/run/docker.sock");
      expect(r.calls).toContain(`docker load -q -i ${r.root}${IMAGES_DIR}/weave-2.8.1-images.tar`);
      expect(r.calls.filter((c) => /^docker pull|^weave setup|^docker save/.test(c))).toEqual([]);
      expect(r.calls).toContain(
        "docker run --rm --entrypoint cat weaveworks/weaveexec:2.8.1 /home/weave/weave",
      );
      expect(read(r, "usr/local/bin/weave")).toContain('SCRIPT_VERSION="2.8.1"');
      expect(fs.statSync(path.join(r.root, "usr/local/bin/weave")).mode & 0o755).toBe(0o755);
      expect(read(r, "etc/machine-id")).toBe(`${"a".repeat(32)}\n`);
      const imp = r.calls.find((c) => c.startsWith("docker import"))!;
      expect(imp).toContain('CMD ["/bin/httpd", "-f", "-v", "-p", "80", "-h", "/www"]');
      expect(imp.endsWith("- lab/web:1")).toBe(true);
      const files = read(r, "imported.list").split("\n");
      expect(files).toEqual(
        expect.arrayContaining(["./bin/busybox", "./bin/httpd", "./bin/nslookup", "./www/cgi-bin/host"]),
      );
      expect(ready(r)).toBe(true);
      // Keys are made private before sshd reads them.
      expect(fs.statSync(path.join(r.root, "etc/ssh/ssh_host_ed25519_key")).mode & 0o777).toBe(0o600);
    } finally {
      cleanup(r);
    }
  });

  it("decompresses a .tar.zst archive on its way into the engine", () => {
    const r = run(scratch({ archives: ["weave.tar.zst"] }));
    try {
      expect(r.calls).toContain(`zstd -dc -- ${r.root}${IMAGES_DIR}/weave.tar.zst`);
      expect(r.calls).toContain("docker load -q");
      expect(ready(r)).toBe(true);
    } finally {
      cleanup(r);
    }
  });

  it("without an archive pulls once and saves the images to the machine's cache volume", () => {
    const r = run(scratch());
    try {
      expect(r.calls).toContain("docker pull -q weaveworks/weaveexec:2.8.1");
      expect(r.calls).toContain("weave setup");
      expect(r.calls.some((c) => c.startsWith("docker load"))).toBe(false);
      const save = r.calls.find((c) => c.startsWith("docker save"))!;
      expect(save.split(" ").slice(0, 3)).toEqual(["docker", "save", "-o"]);
      expect(save.split(" ")[3]).toBe(`${r.root}/var/cache/weave-lab/weaveworks-2.8.1.tar.tmp`);
      expect(save.split(" ").slice(4).sort()).toEqual([...WEAVE_IMAGES].sort());
      expect(read(r, "var/cache/weave-lab/weaveworks-2.8.1.tar")).toBe("saved\n");
      expect(ready(r)).toBe(true);
    } finally {
      cleanup(r);
    }
  });

  it("loads the Weave images from the shared cache instead of pulling or saving them again", () => {
    const r = run(scratch({ cache: true }));
    try {
      expect(r.calls).toContain(`docker load -q -i ${r.root}/var/cache/weave-lab/weaveworks-2.8.1.tar`);
      expect(r.calls.filter((c) => /^docker pull|^weave setup|^docker save/.test(c))).toEqual([]);
      expect(ready(r)).toBe(true);
    } finally {
      cleanup(r);
    }
  });

  it("writes a machine-id once (a random one unless pinned) and keeps it across restarts", () => {
    const s = scratch({ cache: true });
    const first = run(s);
    try {
      const id = read(first, "etc/machine-id").trim();
      expect(id).toMatch(/^[0-9a-f]{32}$/);
      const again = run(s, { WEAVE_LAB_MACHINE_ID: "b".repeat(32) });
      expect(read(again, "etc/machine-id").trim()).toBe(id);
    } finally {
      cleanup(first);
    }
  });

  it("configures the inner engine: an OCI runtime binary as default when asked, a registry mirror", () => {
    const s = scratch({ cache: true });
    fs.mkdirSync(path.join(s.root, "opt/rt"), { recursive: true });
    fs.writeFileSync(path.join(s.root, "opt/rt/filter"), "#!/bin/sh\n", { mode: 0o755 });
    const r = run(s, {
      WEAVE_LAB_INNER_RUNTIME: "/opt/rt/filter",
      REGISTRY_MIRROR: "http://mirror.test:5000",
    });
    try {
      expect(JSON.parse(read(r, "etc/docker/daemon.json"))).toEqual({
        runtimes: { "weave-lab": { path: "/opt/rt/filter" } },
        "default-runtime": "weave-lab",
        "registry-mirrors": ["http://mirror.test:5000"],
      });
      const plain = run(scratch({ cache: true }));
      expect(JSON.parse(read(plain, "etc/docker/daemon.json"))).toEqual({});
      cleanup(plain);
      const missing = run(scratch({ cache: true }), { WEAVE_LAB_INNER_RUNTIME: "/opt/none" });
      expect(missing.status).toBe(1);
      expect(missing.stderr).toContain("WEAVE_LAB_INNER_RUNTIME=/opt/none is not an executable file");
      cleanup(missing);
    } finally {
      cleanup(r);
    }
  });

  it("points the inner engine at legacy iptables for Weave 2.8.1 only", () => {
    const legacy = run(scratch({ legacy: true, cache: true }));
    const rajch = run(scratch({ legacy: true, present: ["rajchaudhuri/weaveexec:2.9.0"] }), {
      WEAVE_DISTRIBUTION: "rajch",
      WEAVE_VERSION: "2.9.0",
    });
    try {
      expect(legacy.calls).toContain(
        `iptables=${legacy.root}/usr/local/sbin/.weave-lab-iptables-legacy/iptables`,
      );
      expect(rajch.calls.find((c) => c.startsWith("iptables="))).toBe("iptables=");
    } finally {
      cleanup(legacy);
      cleanup(rajch);
    }
  });

  it("fails, saying why, when the Weave images cannot be pulled, and stops the daemons it started", async () => {
    const r = run(scratch({ setupFails: true }));
    try {
      expect(r.status).toBe(1);
      expect(r.stderr).toContain("weave setup failed: the Weave images could not be pulled");
      expect(r.stderr).toContain("weaveImagesArchive");
      expect(ready(r)).toBe(false);
      const pid = Number(read(r, "dockerd.pid"));
      expect(await ends(pid)).toBe(true);
    } finally {
      cleanup(r);
    }
  });
});
