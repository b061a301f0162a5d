/**
 * The namespace lab itself: real sshd per namespace host, pinned host keys, the session
 * environment the double relies on, cross-namespace TCP, faults, teardown and stale cleanup.
 */
import { Client } from "ssh2";
import { spawn } from "child_process";
import { promises as fsp } from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import {
  createLab,
  leftoversOf,
  TestLab,
  DOUBLE_PATH_DIR,
  cleanupStaleLabs,
  readDoubleConfig,
  writeDoubleConfig,
  REPO_ROOT,
  startSshd,
  generateKeyPair,
  runSsh,
  NEIGH_THRESHOLDS,
} from "../lab";
import { cmdline, pidsInNetns } from "../lab/state";
import { catSession } from "../lab/cat-session";
import { ssh2Client } from "../lab/ssh-client";

jest.setTimeout(60_000);

/** Run a command over ssh2 (the library the transport uses), verifying the pinned host key. */
async function ssh2Exec(
  lab: TestLab,
  host: string,
  command: string,
): Promise<{ code: number; stdout: string }> {
  const c = await ssh2Client(lab, host);
  return new Promise((resolve, reject) => {
    c.exec(command, (err, ch) => {
      if (err) return reject(err);
      let stdout = "";
      ch.on("data", (b: Buffer) => (stdout += b.toString()));
      ch.stderr.on("data", () => undefined);
      ch.on("close", (code: number) => {
        c.end();
        resolve({ code, stdout });
      });
    });
  });
}

describe("namespace lab with 3 hosts", () => {
  let lab: TestLab;
  beforeAll(async () => {
    lab = await createLab({ hosts: 3 });
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  test("hosts get textbook addresses, their own namespaces and distinct host keys", () => {
    expect(lab.real).toBe(false);
    expect(lab.hosts.map((h) => h.name)).toEqual(["host1", "host2", "host3"]);
    const third = lab.hosts[0].address.split(".").slice(0, 3).join(".");
    expect(lab.hosts.map((h) => h.address)).toEqual([`${third}.101`, `${third}.102`, `${third}.103`]);
    expect(new Set(lab.hosts.map((h) => h.netns)).size).toBe(3);
    expect(new Set(lab.hosts.map((h) => h.hostKey)).size).toBe(3);
    for (const h of lab.hosts) expect(h.hostKey).toMatch(/^ssh-ed25519 [A-Za-z0-9+/=]+$/);
  });

  test("every host answers real ssh on its own address with the pinned key, as root, in its namespace, under its own hostname", async () => {
    for (const h of lab.hosts) {
      const r = await lab.ssh(h.name, "id -u; ip -4 -o addr show dev eth0; hostname");
      expect({ host: h.name, code: r.code, stderr: r.stderr }).toEqual({ host: h.name, code: 0, stderr: "" });
      const [uid, addrLine, hostname] = r.stdout.split("\n");
      expect(uid).toBe("0");
      expect(addrLine).toContain(`inet ${h.address}/24`);
      expect(hostname).toBe(h.name);
    }
  });

  test("ssh sessions get the double's PATH first and WEAVE_DOUBLE_HOME/HOST of their host", async () => {
    for (const h of lab.hosts) {
      const r = await lab.ssh(
        h.name,
        'printf "%s\\n" "$PATH" "$WEAVE_DOUBLE_HOME" "$WEAVE_DOUBLE_HOST" "$CHECKPOINT_DISABLE"',
      );
      expect(r.stdout.split("\n").slice(0, 4)).toEqual([
        `${DOUBLE_PATH_DIR}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
        h.home,
        h.name,
        "1",
      ]);
    }
    expect(DOUBLE_PATH_DIR).toBe(path.join(REPO_ROOT, "test", "double", "path"));
  });

  test("ssh2 exec sessions see the same environment", async () => {
    const h = lab.hosts[1];
    const r = await ssh2Exec(lab, h.name, 'printf "%s\\n" "$PATH" "$WEAVE_DOUBLE_HOST"');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `${DOUBLE_PATH_DIR}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n${h.name}\n`,
    );
  });

  test("ssh with a known_hosts holding another key is refused", async () => {
    const kh = path.join(lab.hosts[0].home as string, "wrong_known_hosts");
    // host1's address with host2's key: exactly what a replaced or spoofed host looks like.
    await fsp.writeFile(kh, `${lab.hosts[0].sshHost} ${lab.hosts[1].hostKey}\n`);
    const r = await runSshArgs([...lab.sshArgs("host1", kh), "--", "true"]);
    expect(r.code).toBe(255);
    expect(r.stderr).toMatch(/HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
  });

  test("each host's double config.json holds the defaults and can be rewritten mid-test", async () => {
    const home = lab.hosts[2].home as string;
    expect((await readDoubleConfig(home)).cliDelayMs).toBe(650);
    await writeDoubleConfig(home, { cliDelayMs: 5 });
    const onHost = await lab.ssh("host3", 'cat "$WEAVE_DOUBLE_HOME/config.json"');
    expect(JSON.parse(onHost.stdout)).toMatchObject({
      cliDelayMs: 5,
      weaveVersion: "2.8.1",
      dockerApiVersion: "1.41",
    });
  });

  test("hosts reach each other's TCP ports across namespaces (router port 6783)", async () => {
    const [h1, h2] = lab.hosts;
    const listen = await lab.ssh(
      h2.name,
      `socat -T5 TCP-LISTEN:6783,bind=${h2.address},reuseaddr SYSTEM:'echo hello-from-$WEAVE_DOUBLE_HOST' </dev/null >/dev/null 2>&1 &`,
    );
    expect(listen.code).toBe(0);
    const r = await lab.nsExec(h1.name, [
      "socat",
      "-T3",
      "-",
      `TCP:${h2.address}:6783,retry=50,interval=0.1`,
    ]);
    expect(r.stdout).toBe("hello-from-host2\n");
  });

  test("the kernel's shared ARP table is raised so big labs do not silently stop answering ARP", async () => {
    for (const [key, want] of Object.entries(NEIGH_THRESHOLDS)) {
      const v = Number(await fsp.readFile(`/proc/sys/net/ipv4/neigh/default/${key}`, "utf8"));
      expect({ key, ok: v >= want }).toEqual({ key, ok: true });
    }
  });

  test("nsExec runs inside the host's namespace with the session environment", async () => {
    const r = await lab.nsExec("host2", [
      "sh",
      "-c",
      'hostname; ip -4 -o addr show dev eth0; echo "$WEAVE_DOUBLE_HOST"',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe("host2");
    expect(r.stdout).toContain(`inet ${lab.hosts[1].address}/24`);
    expect(r.stdout.trim().split("\n").pop()).toBe("host2");
  });
});

describe("lab teardown", () => {
  test("destroy leaves no namespace, link, process or state dir behind, even with a stray process in a namespace", async () => {
    const lab = await createLab({ hosts: 2, names: ["alpha", "beta"] });
    // A process the lab did not start (like a double router) must go too.
    const r = await lab.ssh("beta", "nohup sleep 300 >/dev/null 2>&1 &");
    expect(r.code).toBe(0);
    const before = leftoversOf(lab.id);
    expect(before.netns.sort()).toEqual([`wl-${lab.id}-alpha`, `wl-${lab.id}-beta`]);
    expect(before.links.length).toBe(3);
    expect(before.pids.length).toBeGreaterThanOrEqual(5);
    expect(before.dir).toBe(true);
    await lab.destroy();
    expect(leftoversOf(lab.id)).toEqual({ netns: [], links: [], pids: [], rules: [], dir: false });
    await lab.destroy(); // idempotent
  });

  test("cleanupStaleLabs removes the lab of a process that was killed", async () => {
    const child = spawn(
      process.execPath,
      [
        "-r",
        "ts-node/register/transpile-only",
        "-e",
        `require(${JSON.stringify(path.join(REPO_ROOT, "test", "lab"))}).createLab({ hosts: 2 }).then((l) => { console.log("LAB " + l.id); setInterval(() => {}, 1000); })`,
      ],
      {
        cwd: REPO_ROOT,
        stdio: ["ignore", "pipe", "inherit"],
        env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "1" },
      },
    );
    const id = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (b: Buffer) => {
        out += b.toString();
        const m = /LAB ([a-z0-9]{6})/.exec(out);
        if (m) resolve(m[1]);
      });
      child.on("exit", (code) => reject(new Error(`lab child exited ${code} before creating a lab: ${out}`)));
    });
    const alive = leftoversOf(id);
    expect(alive.netns.length).toBe(2);
    child.removeAllListeners("exit");
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
    // The orphan is still there until someone cleans up.
    expect(leftoversOf(id).netns.length).toBe(2);
    const removed = await cleanupStaleLabs();
    expect(removed).toContain(id);
    expect(leftoversOf(id)).toEqual({ netns: [], links: [], pids: [], rules: [], dir: false });
  });
});

function runSshArgs(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn("ssh", args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    c.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    c.on("close", (code) => resolve({ code: code ?? -1, stderr }));
  });
}

/**
 * The delay proxy's latency per host as the daemon itself holds it (the `ping` of its control
 * socket, which sits beside the lab's known_hosts file).
 */
function proxyLatency(lab: TestLab): Promise<Record<string, number>> {
  const socket = path.join(path.dirname(lab.knownHostsFile), "proxy.ctl");
  return new Promise((resolve, reject) => {
    const s = net.connect(socket);
    let buf = "";
    s.on("connect", () => s.write('{"op":"ping"}\n'));
    s.on("data", (b: Buffer) => {
      buf += b.toString();
      if (!buf.includes("\n")) return;
      s.destroy();
      const ans = JSON.parse(buf) as { ok: boolean; error?: string; latency?: Record<string, number> };
      if (ans.ok && ans.latency) resolve(ans.latency);
      else reject(new Error(`delay proxy: ${ans.error ?? buf}`));
    });
    s.on("error", reject);
  });
}

describe("lab faults", () => {
  let lab: TestLab;
  beforeAll(async () => {
    lab = await createLab({ hosts: 2 });
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  test("cutLink makes ssh give up on its own and hosts unreachable to each other; restoreLink brings both back", async () => {
    await lab.faults.cutLink("host1");
    try {
      const r = await lab.ssh("host1", "true", { timeoutMs: 30_000 });
      // 255 from ssh itself (its ConnectTimeout), not 124 from our kill: it gave up on its own.
      expect({ code: r.code, stderr: r.stderr }).toEqual({
        code: 255,
        stderr: expect.stringMatching(/Connection timed out|No route to host/),
      });
      const peer = await lab.nsExec("host2", [
        "socat",
        "-T1",
        "-",
        `TCP:${lab.hosts[0].address}:22,connect-timeout=1`,
      ]);
      expect(peer.code).not.toBe(0);
    } finally {
      await lab.faults.restoreLink("host1");
    }
    const back = await lab.ssh("host1", "echo back");
    expect(back.stdout).toBe("back\n");
  });

  test("stopSshd refuses new connections (refused, not timed out) while an open session keeps working; startSshd restores service", async () => {
    const open = await catSession(lab, "host2");
    try {
      await lab.faults.stopSshd("host2");
      const r = await lab.ssh("host2", "true");
      // A refusal answers at once; a timeout would say "timed out" instead.
      expect({ code: r.code, stderr: r.stderr }).toEqual({
        code: 255,
        stderr: expect.stringMatching(/Connection refused/),
      });
      // The open session still echoes, and can still open a channel.
      await open.echo();
      expect(await open.exec("echo still")).toBe("still\n");
      await lab.faults.startSshd("host2");
      expect((await lab.ssh("host2", "echo up")).stdout).toBe("up\n");
    } finally {
      open.close();
      await lab.faults.startSshd("host2");
    }
  });

  test("replaceHostKey makes ssh with the old known_hosts fail verification; the new key is pinned and works", async () => {
    const oldKh = path.join(lab.hosts[0].home as string, "old_known_hosts");
    await fsp.copyFile(lab.knownHostsFile, oldKh);
    const oldKey = lab.hosts[0].hostKey;
    const newKey = await lab.faults.replaceHostKey("host1");
    expect(newKey).toMatch(/^ssh-ed25519 [A-Za-z0-9+/=]+$/);
    expect(newKey).not.toBe(oldKey);
    expect(lab.hosts[0].hostKey).toBe(newKey);
    const refused = await runSshArgs([...lab.sshArgs("host1", oldKh), "--", "true"]);
    expect(refused.code).toBe(255);
    expect(refused.stderr).toMatch(/HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
    expect((await lab.ssh("host1", "echo new")).stdout).toBe("new\n");
    expect((await ssh2Exec(lab, "host1", "echo pinned")).stdout).toBe("pinned\n");
  });

  // How much each setting adds to a round trip is measured by `npm run bench -- lab`.
  test("setLatency sets the proxy's delay per host at run time (0 turns it off), holds that host's echoes behind an undelayed host's, and keeps a stream in order across a change", async () => {
    const slow = await catSession(lab, "host2");
    const quick = await catSession(lab, "host1");
    try {
      await slow.echo(); // both sessions answer before the delay is set
      await quick.echo();
      await lab.faults.setLatency("host2", 120);
      expect(await proxyLatency(lab)).toEqual({ host1: 0, host2: 120 });
      await lab.faults.setLatency("host2", 40);
      expect(await proxyLatency(lab)).toEqual({ host1: 0, host2: 40 });
      await lab.faults.setLatency("host2", 0);
      expect(await proxyLatency(lab)).toEqual({ host1: 0, host2: 0 });

      // A 3 s delay: host2's echo, sent first, comes back after host1's, sent second.
      await lab.faults.setLatency("host2", 3_000);
      const order: string[] = [];
      await Promise.all([
        slow.echo().then(() => order.push("host2")),
        quick.echo().then(() => order.push("host1")),
      ]);
      expect(order).toEqual(["host1", "host2"]);

      // Ordering survives a delay change in the middle of a stream.
      await lab.faults.setLatency("host2", 30);
      const big = slow.exec("seq 1 20000");
      await lab.faults.setLatency("host2", 0);
      const lines = (await big).trim().split("\n");
      expect(lines.length).toBe(20000);
      expect(lines.every((l, i) => l === String(i + 1))).toBe(true);
    } finally {
      slow.close();
      quick.close();
      await lab.faults.setLatency("host2", 0);
    }
  });

  test("killRouter kills the host's router processes and nothing else; with no router it says so", async () => {
    await lab.ssh(
      "host1",
      "(exec -a weave-router sleep 300) >/dev/null 2>&1 & (exec -a bystander sleep 300) >/dev/null 2>&1 &",
    );
    // Command lines of the processes in host1's namespace (read from /proc: no procps needed).
    const inHost1 = (): string[] =>
      (pidsInNetns([lab.hosts[0].netns as string]).get(lab.hosts[0].netns as string) ?? []).map(
        (p) => cmdline(p) ?? "",
      );
    expect(inHost1()).toContain("weave-router 300");
    await lab.faults.killRouter("host1");
    // SIGKILL is sent; wait (not time) until the kernel has ended it.
    for (let i = 0; i < 200 && inHost1().some((l) => /weave-router/.test(l)); i++)
      await new Promise((r) => setTimeout(r, 50));
    const after = inHost1().join("\n");
    expect(after).not.toMatch(/weave-router/);
    expect(after).toMatch(/bystander 300/);
    await expect(lab.faults.killRouter("host2")).rejects.toThrow(/host2: no router process runs/);
  });

  test("faults name the host when it does not exist and reject bad latency", async () => {
    await expect(lab.faults.cutLink("nope")).rejects.toThrow(/no host "nope"; hosts are host1, host2/);
    await expect(lab.faults.setLatency("host1", -5)).rejects.toThrow(/ms -5 is not allowed/);
  });
});

describe("lab services the transport relies on", () => {
  let lab: TestLab;
  beforeAll(async () => {
    lab = await createLab({ hosts: 1 });
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  const connect = (host: string): Promise<Client> => ssh2Client(lab, host);

  test("a port forward reaches 127.0.0.1:6784 inside the host's namespace (the router API path)", async () => {
    const listen = await lab.ssh(
      "host1",
      `socat -T5 TCP-LISTEN:6784,bind=127.0.0.1,reuseaddr SYSTEM:'echo api-of-$WEAVE_DOUBLE_HOST' </dev/null >/dev/null 2>&1 &`,
    );
    expect(listen.code).toBe(0);
    const c = await connect("host1");
    try {
      let got = "";
      for (let i = 0; i < 50 && got === ""; i++) {
        got = await new Promise<string>((resolve) =>
          c.forwardOut("127.0.0.1", 0, "127.0.0.1", 6784, (err, ch) => {
            if (err) {
              setTimeout(() => resolve(""), 100);
              return;
            }
            let out = "";
            // The far end sends its answer then EOF; our side must close its half for the channel to end.
            ch.on("data", (b: Buffer) => (out += b.toString())).on("end", () => {
              ch.end();
              resolve(out);
            });
          }),
        );
      }
      expect(got).toBe("api-of-host1\n");
    } finally {
      c.end();
    }
  });

  test("sftp writes files on the host", async () => {
    const c = await connect("host1");
    try {
      const file = path.join(lab.hosts[0].home as string, "uploaded.txt");
      await new Promise<void>((resolve, reject) =>
        c.sftp((err, sftp) => {
          if (err) return reject(err);
          sftp.writeFile(file, "via sftp\n", (e) => (e ? reject(e) : resolve()));
        }),
      );
      expect((await lab.ssh("host1", `cat ${file}`)).stdout).toBe("via sftp\n");
    } finally {
      c.end();
    }
  });

  test("40 ssh connections at once all succeed", async () => {
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => lab.ssh("host1", `echo ${i}`)));
    expect(results.map((r) => r.code)).toEqual(new Array(40).fill(0));
    expect(results.map((r) => r.stdout)).toEqual(Array.from({ length: 40 }, (_, i) => `${i}\n`));
  });
});

describe("labs side by side", () => {
  test("two labs at once get separate bridges and /24s and both work; an explicit address that is held fails naming the holder", async () => {
    const [a, b] = await Promise.all([createLab({ hosts: 1 }), createLab({ hosts: 1 })]);
    try {
      const netOf = (l: TestLab): string => l.hosts[0].address.split(".").slice(0, 3).join(".");
      expect(netOf(a)).not.toBe(netOf(b));
      expect((await a.ssh("host1", "echo a")).stdout).toBe("a\n");
      expect((await b.ssh("host1", "echo b")).stdout).toBe("b\n");
      const heldBy = netOf(a) === netOf(b) ? "" : a.id;
      await expect(createLab({ hosts: 1, firstAddress: a.hosts[0].address })).rejects.toThrow(
        `${netOf(a)}.0/24 (lab ${heldBy})`,
      );
    } finally {
      await Promise.all([a.destroy(), b.destroy()]);
    }
  });

  test("a process that ends without destroy() leaves nothing behind", async () => {
    const out = await new Promise<string>((resolve) => {
      const child = spawn(
        process.execPath,
        [
          "-r",
          "ts-node/register/transpile-only",
          "-e",
          `require(${JSON.stringify(path.join(REPO_ROOT, "test", "lab"))}).createLab({ hosts: 1 }).then((l) => console.log("LAB " + l.id))`,
        ],
        { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "inherit"] },
      );
      let s = "";
      child.stdout.on("data", (b: Buffer) => (s += b.toString()));
      child.on("close", () => resolve(s));
    });
    const id = /LAB ([a-z0-9]{6})/.exec(out)?.[1];
    expect(id).toMatch(/^[a-z0-9]{6}$/);
    expect(leftoversOf(id as string)).toEqual({ netns: [], links: [], pids: [], rules: [], dir: false });
  });
});

describe("startSshd (one server of your own)", () => {
  test("serves on 127.0.0.1 with the given keys and environment, and stop() ends it", async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), "wl-sshd-"));
    try {
      const client = await generateKeyPair(path.join(dir, "client"));
      const port = await freePort();
      const server = await startSshd({
        dir: path.join(dir, "server"),
        address: "127.0.0.1",
        port,
        authorizedKeys: [client.publicKey],
        env: { GREETING: "hi there", SHLVL: "1" },
      });
      expect(server.hostKey).toMatch(/^ssh-ed25519 /);
      const kh = path.join(dir, "known_hosts");
      await fsp.writeFile(kh, `[127.0.0.1]:${port} ${server.hostKey}\n`);
      const args = [
        "-F",
        "/dev/null",
        "-i",
        client.file,
        "-o",
        `UserKnownHostsFile=${kh}`,
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        "BatchMode=yes",
        "-p",
        String(port),
        "root@127.0.0.1",
      ];
      const r = await runSsh(args, 'echo "$GREETING"');
      expect(r).toMatchObject({ code: 0, stdout: "hi there\n" });
      await server.stop();
      const after = await runSsh(args, "true");
      expect(after.code).toBe(255);
      expect(after.stderr).toMatch(/Connection refused/);
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

describe("a 32-host lab", () => {
  test("comes up and every host reaches every other host (full mesh, 992 pairs)", async () => {
    const lab = await createLab({ hosts: 32 });
    try {
      expect(lab.hosts.map((h) => h.address)).toEqual(
        Array.from(
          { length: 32 },
          (_, i) => `${lab.hosts[0].address.split(".").slice(0, 3).join(".")}.${101 + i}`,
        ),
      );
      const addrs = lab.hosts.map((h) => h.address).join(" ");
      // A connect to a closed port is refused only if the peer answered ARP and TCP; an unreachable
      // peer says "No route to host" (or times out) instead.
      const script = `n=0; for a in ${addrs}; do [ "$a" = "$1" ] && continue; if timeout 5 bash -c "exec 3<>/dev/tcp/$a/9" 2>&1 | grep -q "Connection refused"; then n=$((n+1)); else echo "unreachable $a"; fi; done; echo "reached $n"`;
      const results = await Promise.all(
        lab.hosts.map((h) => lab.nsExec(h.name, ["bash", "-c", script, "mesh", h.address])),
      );
      const lines = results.map((r, i) => `${lab.hosts[i].name}: ${r.stdout.trim().split("\n").join(", ")}`);
      expect(lines).toEqual(lab.hosts.map((h) => `${h.name}: reached 31`));
      expect((await lab.ssh("host32", "hostname")).stdout).toBe("host32\n");
    } finally {
      await lab.destroy();
    }
    expect(leftoversOf(lab.id)).toEqual({ netns: [], links: [], pids: [], rules: [], dir: false });
  });
});

describe("lab with the Weave double", () => {
  test("routers launched over ssh mesh across namespaces under their hostnames, and killRouter stops one", async () => {
    const lab = await createLab({ hosts: 2, double: { cliDelayMs: 0 } });
    try {
      const peers = lab.hosts.map((h) => h.address).join(" ");
      for (const h of lab.hosts) {
        const r = await lab.ssh(h.name, `weave launch --ipalloc-range 10.32.0.0/12 ${peers}`, {
          timeoutMs: 60_000,
        });
        expect({ host: h.name, code: r.code, stderr: r.stderr }).toEqual({
          host: h.name,
          code: 0,
          stderr: "",
        });
      }
      let peersOut = "";
      for (let i = 0; i < 40 && (peersOut.match(/established/g) ?? []).length < 2; i++) {
        await new Promise((r) => setTimeout(r, 250));
        peersOut = (await lab.ssh("host1", "weave status peers")).stdout;
      }
      expect(peersOut).toMatch(/\(host1\)/);
      expect(peersOut).toMatch(
        new RegExp(`${lab.hosts[1].address.replace(/\./g, "\\.")}:\\d+\\s+\\S+\\(host2\\)\\s+established`),
      );
      await lab.faults.killRouter("host1");
      // Docker's restart policy `always` restarts it; on this sleeve-only "kernel" the restarted
      // router dies on the bridge type its first run made, so it keeps restarting (as real Weave).
      let ps = "";
      const deadline = Date.now() + 30_000;
      do {
        ps = (await lab.ssh("host1", "docker ps -a --format '{{.Names}} {{.Status}}'")).stdout;
        if (/^weave Restarting \(1\)/m.test(ps)) break;
        await new Promise((r) => setTimeout(r, 100));
      } while (Date.now() < deadline);
      expect(ps).toMatch(/^weave Restarting \(1\)/m);
      expect((await lab.ssh("host2", "docker ps --format '{{.Names}}'")).stdout).toMatch(/^weave$/m);
    } finally {
      await lab.destroy();
    }
  });
});
