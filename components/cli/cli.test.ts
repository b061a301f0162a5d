import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { planLab } from "../plan";
import type { LabSpec } from "../spec";
import { seedLab } from "../../test/builders";
import { runCli, USAGE, type CliIo } from "./main";
import { sanitize } from "./text";
import { rangeBar, renderPlan } from "./render";

const REPO = path.resolve(__dirname, "..", "..");
const EXAMPLES = path.resolve(REPO, "examples", "specs");

function run(
  args: string[],
  files: Record<string, string> = {},
  stdin?: string,
): { code: number; out: string; err: string } {
  let out = "";
  let err = "";
  const io: CliIo = {
    stdout: (t) => (out += t),
    stderr: (t) => (err += t),
    readFile: (p) => {
      if (p in files) return files[p];
      return fs.readFileSync(p, "utf8");
    },
    ...(stdin !== undefined ? { readStdin: () => stdin } : {}),
  };
  const code = runCli(args, io);
  return { code, out, err };
}

/** The fixtures' seed lab (step 13) with a password, a subnet container and an untracked address. */
function lab(): LabSpec {
  return seedLab({
    name: "seed13",
    network: { password: "s3cret-lab" },
    ssh: { hostKey: "SHA256:pinned-host-key-of-the-seed-lab" },
    containers: [
      { name: "web1", host: "docker1", image: "lab/web:1", dnsNames: ["www"] },
      { name: "db", host: "docker2", image: "postgres:16", subnet: "172.16.16.128/25" },
      { name: "ext", host: "docker4", image: "lab/web:1", address: "1.1.1.1/24" },
    ],
    dnsRecords: [{ name: "gw", ips: ["10.10.10.1"], host: "docker2" }],
  });
}

describe("renderPlan", () => {
  test("renders the seed lab exactly: header, hosts with predicted shares, range picture, containers, records, warnings, launches", () => {
    const text = renderPlan(planLab(lab()));
    const fp = planLab(lab()).network.fingerprint;
    const seeds = "seed=02:00:00:00:00:01,02:00:00:00:00:02,02:00:00:00:00:03,02:00:00:00:00:04";
    const launch = (n: number, name: string, peers: string) =>
      `docker${n}: CHECKPOINT_DISABLE=1 WEAVE_PASSWORD=<secret> /usr/local/bin/weave launch --name ${name} --nickname docker${n} --ipalloc-range 172.16.16.0/24 --ipalloc-init ${seeds} --dns-domain weave.local. --dns-ttl 1 --proxy=false --plugin=false ${peers}`;
    expect(text).toBe(
      [
        "Lab seed13: 4 hosts, 3 containers, 1 DNS record",
        "Network: range 172.16.16.0/24 (256 addresses), default subnet 172.16.16.0/24, bootstrap seed, encryption on, DNS weave.local (TTL 1)",
        "Weave: weaveworks 2.8.1 (Docker API 1.18), script /usr/local/bin/weave (present), proxy off, plugin off",
        `Fingerprint: ${fp}`,
        "",
        "Hosts",
        "NAME     ADDRESS       PEER NAME          PREDICTED SHARE   SIZE  OF RANGE",
        "docker1  10.10.10.101  02:00:00:00:00:03  172.16.16.128/26  64    25.0%",
        "docker2  10.10.10.102  02:00:00:00:00:01  172.16.16.0/26    64    25.0%",
        "docker3  10.10.10.103  02:00:00:00:00:04  172.16.16.192/26  64    25.0%",
        "docker4  10.10.10.104  02:00:00:00:00:02  172.16.16.64/26   64    25.0%",
        "",
        "Range split (predicted)",
        "172.16.16.0/24 |2222222222222222444444444444444411111111111111113333333333333333|",
        "  1 docker1  2 docker2  3 docker3  4 docker4",
        "",
        "Containers",
        "KEY           IMAGE        ADDRESSING                                                   DNS NAMES",
        "docker1/web1  lab/web:1    dynamic (from 172.16.16.0/24)                                web1.weave.local, www.weave.local",
        "docker2/db    postgres:16  subnet 172.16.16.128/25                                      db.weave.local",
        "docker4/ext   lab/web:1    static 1.1.1.1/24 (outside the range: not tracked by Weave)  ext.weave.local",
        "",
        "DNS records",
        "NAME            IPS         REGISTERED FROM",
        "gw.weave.local  10.10.10.1  docker2",
        "",
        "Warnings (1)",
        '  containers[2].address: "1.1.1.1/24" is outside network.allocRange 172.16.16.0/24: Weave does not track it, so nothing stops another host from using the same address',
        "",
        "Launch commands",
        launch(1, "02:00:00:00:00:03", "10.10.10.102 10.10.10.103 10.10.10.104"),
        launch(2, "02:00:00:00:00:01", "10.10.10.101 10.10.10.103 10.10.10.104"),
        launch(3, "02:00:00:00:00:04", "10.10.10.101 10.10.10.102 10.10.10.104"),
        launch(4, "02:00:00:00:00:02", "10.10.10.101 10.10.10.102 10.10.10.103"),
        "",
      ].join("\n"),
    );
    expect(text).not.toContain("s3cret-lab");
  });

  test("consensus mode says the split is decided at run time", () => {
    const spec = lab();
    spec.network!.bootstrap = "consensus";
    const text = renderPlan(planLab(spec));
    expect(text).toContain("docker1  10.10.10.101  02:00:00:00:00:03  (decided at run time)");
    expect(text).toContain("Range split: decided by consensus at run time");
    expect(text).toContain("--ipalloc-init consensus=4");
  });

  test("the range bar marks hosts without space and has one cell per address for tiny ranges", () => {
    const plan = planLab({
      network: { allocRange: "10.0.0.0/30" },
      hosts: ["a", "b", "c", "d", "e"].map((n, i) => ({
        name: n,
        address: `10.9.0.${i + 1}`,
        peerName: `::${i + 1}`,
        ssh: { insecureIgnoreHostKey: true },
      })),
    });
    expect(rangeBar(plan)).toEqual(["10.0.0.0/30 |1234|", "  1 a  2 b  3 c  4 d  5 e"]);
    expect(renderPlan(plan)).toContain("e     10.9.0.5  00:00:00:00:00:05  (none)           0     0.0%");
  });
});

describe("weave-lab CLI", () => {
  test("plan examples/specs/textbook.yaml prints the tables and exits 0", () => {
    const r = run(["plan", path.join(EXAMPLES, "textbook.yaml")]);
    expect(r.code).toBe(0);
    expect(r.err).toBe("");
    expect(r.out).toContain("Lab textbook: 4 hosts, 3 containers, 0 DNS records");
    // 4 hosts, each a quarter of the /24
    expect(r.out.match(/ 64 {4}25\.0%/g)).toHaveLength(4);
    expect(r.out).toContain("docker3/web1  lab/web:1  dynamic (from 172.16.16.0/24)  web1.weave.local");
    expect(
      r.out
        .split("\n")
        .filter((l) => /^docker\d: CHECKPOINT_DISABLE=1 \/usr\/local\/bin\/weave launch /.test(l)),
    ).toHaveLength(4);
  });

  test("plan --json prints the LabPlan", () => {
    const r = run(["plan", "--json", path.join(EXAMPLES, "textbook.yaml")]);
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.out);
    expect(plan.name).toBe("textbook");
    expect(plan.hosts.map((h: { predictedShare: { size: number }[] }) => h.predictedShare[0].size)).toEqual([
      64, 64, 64, 64,
    ]);
    expect(plan.containers.map((c: { key: string }) => c.key)).toEqual([
      "docker1/web1",
      "docker2/web2",
      "docker3/web1",
    ]);
  });

  test("plan examples/specs/bad.yaml lists every problem, one path: message per line, and exits 1", () => {
    const r = run(["plan", path.join(EXAMPLES, "bad.yaml")]);
    expect(r.code).toBe(1);
    expect(r.out).toBe("");
    const lines = r.err.trimEnd().split("\n");
    expect(lines[0]).toMatch(/bad\.yaml: 16 problems:$/);
    expect(lines.slice(1).map((l) => l.split(": ")[0])).toEqual([
      "network.defaultSubnet",
      "network.bootstrap",
      "network.dns.ttl",
      "network.weave.version",
      "hosts[1].name",
      "hosts[1].peerName",
      "hosts[1].ssh.port",
      "hosts[2].address",
      "hosts[3].ssh.hostKey",
      "hosts[3].extraLaunchArgs[0]",
      "containers[0].address",
      "containers[1].name",
      "containers[2].host",
      "containers[2].image",
      "containers[3].subnet",
      "containers[4].address",
    ]);
    expect(r.err).toContain(
      "hosts[3].extraLaunchArgs[0]: docker4 would launch with range 172.64.65.0/24 while the network uses 172.16.16.0/24: its connections would be dropped with 'Incompatible IP allocation ranges'",
    );
  });

  test("JSON specs are accepted", () => {
    const spec = JSON.stringify({
      hosts: [{ name: "h1", address: "192.168.56.11", ssh: { insecureIgnoreHostKey: true } }],
    });
    const r = run(["plan", "lab.json"], { "lab.json": spec });
    expect(r.code).toBe(0);
    expect(r.out).toContain("h1    192.168.56.11  ");
  });

  test("a file that is not YAML is a bad spec (exit 1) naming the file", () => {
    const r = run(["plan", "x.yaml"], { "x.yaml": "hosts: [\n" });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^x\.yaml: not valid YAML:/);
  });

  test.each([
    [[], "missing command"],
    [["deploy"], "unknown command 'deploy'"],
    [["plan"], "plan needs a spec file"],
    [["plan", "a.yaml", "b.yaml"], "plan takes one spec file, got 2"],
    [["plan", "--yaml", "a.yaml"], "unknown option '--yaml'"],
    [["plan", "/nonexistent/spec.yaml"], "cannot read /nonexistent/spec.yaml"],
  ])("usage error %p exits 2 with the reason and the usage", (args, reason) => {
    const r = run(args as string[]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`weave-lab: ${reason}`);
    expect(r.err).toContain(USAGE);
  });

  test("--help prints the usage on stdout and exits 0", () => {
    expect(run(["--help"])).toEqual({ code: 0, out: USAGE, err: "" });
  });

  test("plan --help prints the usage on stdout and exits 0, wherever the flag stands", () => {
    expect(run(["plan", "--help"])).toEqual({ code: 0, out: USAGE, err: "" });
    expect(run(["plan", "spec.yaml", "-h"])).toEqual({ code: 0, out: USAGE, err: "" });
    expect(run(["help"])).toEqual({ code: 0, out: USAGE, err: "" });
  });

  test("--version prints the package's version", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")) as { version: string };
    expect(run(["--version"])).toEqual({ code: 0, out: `weave-lab ${pkg.version}\n`, err: "" });
  });

  test("plan - reads the spec from stdin (YAML or JSON) and names it <stdin> in errors", () => {
    const yaml = "hosts:\n  - { name: h1, address: 192.168.56.11, ssh: { insecureIgnoreHostKey: true } }\n";
    const ok = run(["plan", "-"], {}, yaml);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain("h1    192.168.56.11  ");
    const asJson = run(
      ["plan", "-", "--json"],
      {},
      JSON.stringify({
        name: "from-stdin",
        hosts: [{ name: "h1", address: "192.168.56.11", ssh: { insecureIgnoreHostKey: true } }],
      }),
    );
    expect(JSON.parse(asJson.out).name).toBe("from-stdin");
    const bad = run(["plan", "-"], {}, "hosts: []\n");
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^<stdin>: 1 problem:\nhosts: /);
  });

  describe("--json failures are one JSON document on stdout with the text mode's exit code", () => {
    const both = (args: string[], files: Record<string, string> = {}) => {
      const text = run(args, files);
      const json = run([...args, "--json"], files);
      expect(json.err).toBe("");
      expect(json.code).toBe(text.code);
      return {
        text,
        json,
        doc: JSON.parse(json.out) as {
          ok: boolean;
          exitCode: number;
          error: string;
          issues: { path: string; message: string }[];
        },
      };
    };

    test("invalid spec (exit 1): the same issues as the text lines", () => {
      const { text, doc } = both(["plan", path.join(EXAMPLES, "bad.yaml")]);
      expect(text.code).toBe(1);
      expect(doc.ok).toBe(false);
      expect(doc.exitCode).toBe(1);
      expect(doc.error).toMatch(/bad\.yaml: 16 problems:$/);
      expect(doc.issues.map((i) => `${i.path}: ${i.message}`)).toEqual(
        text.err.trimEnd().split("\n").slice(1),
      );
    });

    test("not YAML (exit 1)", () => {
      const { text, doc } = both(["plan", "x.yaml"], { "x.yaml": "hosts: [\n" });
      expect(text.code).toBe(1);
      expect(doc).toMatchObject({ ok: false, exitCode: 1, issues: [] });
      expect(doc.error).toMatch(/^x\.yaml: not valid YAML:/);
    });

    test.each([[["plan"]], [["plan", "/nonexistent/spec.yaml"]], [["deploy"]]])(
      "usage error %p (exit 2)",
      (args) => {
        const { text, doc } = both(args);
        expect(text.code).toBe(2);
        expect(doc).toMatchObject({ ok: false, exitCode: 2 });
        expect(text.err).toContain(doc.error);
      },
    );
  });

  describe("input bytes are never written raw to the terminal", () => {
    const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
    const garbage = "\u001b]0;owned\u0007\u001b[2J\u009b31m\u0000\u00ff\u0001binary";

    test("sanitize escapes C0, DEL, C1 and bidi controls and keeps newlines, tabs and text", () => {
      expect(sanitize("a\tb\nc\u001b[31m\u007f\u009b\u202e")).toBe("a\tb\nc\\x1b[31m\\x7f\\x9b\\u{202e}");
    });

    test("a binary file is refused without echoing it, in text and JSON mode", () => {
      const r = run(["plan", "img.yaml"], { "img.yaml": garbage });
      expect(r.code).toBe(1);
      expect(r.err).toBe("img.yaml: not a spec: the input contains NUL bytes (a binary file?)\n");
      const j = run(["plan", "img.json", "--json"], { "img.json": garbage });
      expect(j.code).toBe(1);
      expect(j.out).not.toMatch(CONTROL);
    });

    test("escape sequences in a parse error, a file name or a spec value are shown escaped", () => {
      const noNul = garbage.replace("\u0000", "");
      for (const file of ["x.json", "x.yaml"]) {
        const r = run(["plan", file], { [file]: `{ "hosts": [ ${noNul}` });
        expect(r.code).toBe(1);
        expect(r.err).not.toMatch(CONTROL);
      }
      const name = run(["plan", "a\u001b[31m.yaml"]);
      expect(name.code).toBe(2);
      expect(name.err).toContain("cannot read a\\x1b[31m.yaml");
      const spec = {
        hosts: [
          { name: "h\u001b[31m\u009b", address: "192.168.56.11", ssh: { insecureIgnoreHostKey: true } },
        ],
      };
      const v = run(["plan", "s.json"], { "s.json": JSON.stringify(spec) });
      expect(v.code).toBe(1);
      expect(v.err).not.toMatch(CONTROL);
      // The planner quotes the name (JSON escapes ESC); the C1 character it leaves is escaped here.
      expect(v.err).toContain("\\x9b");
      const vj = run(["plan", "s.json", "--json"], { "s.json": JSON.stringify(spec) });
      expect(vj.out).not.toMatch(CONTROL);
      expect(vj.out).toContain("\\u009b");
      expect(JSON.parse(vj.out).issues[0].message).toContain("\u009b");
    });
  });

  test("the npm bin runs from a fresh clone without a build: sources through ts-node, stdin, exit codes", () => {
    const launcher = path.join(REPO, "components", "cli", "launcher.js");
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")) as {
      bin: Record<string, string>;
    };
    expect(path.resolve(REPO, pkg.bin["weave-lab"])).toBe(launcher);
    expect(fs.statSync(launcher).mode & 0o111).toBe(0o111);
    // A clone's files without bin/ (no `npm run build`), with this checkout's node_modules.
    const clone = fs.mkdtempSync(path.join(os.tmpdir(), "weave-lab-clone-"));
    try {
      for (const f of ["package.json", "tsconfig.json"])
        fs.copyFileSync(path.join(REPO, f), path.join(clone, f));
      fs.cpSync(path.join(REPO, "components"), path.join(clone, "components"), { recursive: true });
      fs.symlinkSync(path.join(REPO, "node_modules"), path.join(clone, "node_modules"));
      const bin = path.join(clone, pkg.bin["weave-lab"]);
      const ok = spawnSync(bin, ["plan", "-"], {
        encoding: "utf8",
        input: "hosts: [{ name: h1, address: 192.168.56.11, ssh: { insecureIgnoreHostKey: true } }]\n",
      });
      expect(ok.stderr).toBe("");
      expect(ok.status).toBe(0);
      expect(ok.stdout).toContain("Lab weave-lab: 1 host, 0 containers, 0 DNS records");
      const bad = spawnSync(bin, ["plan", "-", "--json"], { encoding: "utf8", input: "hosts: []\n" });
      expect(bad.status).toBe(1);
      expect(JSON.parse(bad.stdout)).toMatchObject({ ok: false, exitCode: 1 });
      expect(fs.existsSync(path.join(clone, "bin"))).toBe(false);
    } finally {
      fs.rmSync(clone, { recursive: true, force: true });
    }
  }, 60_000);

  test("npm run build marks the compiled CLI executable", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.build).toMatch(/&& chmod \+x bin\/components\/cli\/main\.js$/);
  });
});
