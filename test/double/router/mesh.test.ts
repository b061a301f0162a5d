/**
 * Several router doubles on loopback forming a mesh: seed and consensus rings, the connection
 * failures of fixtures 06/15/17, reset hand-over and rmpeer (fixture 16), DNS gossip.
 */
import * as dgram from "dgram";
import { readFixture } from "../../fixtures";
import { buildResponse, parseQuery } from "./dnswire";
import { call, Handle, ipOf, launch, LaunchOptions, logOf, removeHomes, until } from "./harness";

jest.setTimeout(60_000);
afterAll(() => removeHomes());

const NET = 77;
let portBase = 21000 + (process.pid % 200) * 20;
const nextPort = (): number => (portBase += 10);
const running: Handle[] = [];

afterEach(async () => {
  while (running.length) await running.pop()!.stop();
});

/** Address of router `n` (what another router is given as a launch peer). */
const ip = (n: number): string => ipOf(NET, n);

/** What a router of a test differs in; the weaver args are built from it. */
interface Spec extends Partial<
  Pick<LaunchOptions, "password" | "home" | "alive" | "destroyed" | "deadGraceMs">
> {
  nick: string;
  /** `--name`; without it the name is derived from the host label. */
  name?: string;
  /** `--ipalloc-range`. */
  range?: string;
  /** `--ipalloc-init`. */
  init?: string;
  /** Other weaver flags. */
  flags?: string[];
  /** The routers (by index) given as launch peers. */
  peers?: number[];
}

/** The routers of one test: all on one fresh port, router `n` on `127.77.0.n`. */
function newLab() {
  const port = nextPort();
  /** Router `n`, stopped after the test. */
  const up = async (n: number, s: Spec): Promise<Handle> => {
    const { nick, name, range = "172.16.16.0/24", init, flags = [], peers = [], ...launchOptions } = s;
    const args = [
      ...(name ? ["--name", name] : []),
      "--nickname",
      nick,
      ...flags,
      "--ipalloc-range",
      range,
      ...(init ? ["--ipalloc-init", init] : []),
      ...peers.map(ip),
    ];
    const h = await launch({ net: NET, index: n, port, args, ...launchOptions });
    running.push(h);
    return h;
  };
  /** Routers 1…count, one after the other, each given all the others as peers unless told. */
  const all = async (count: number, spec: (n: number) => Spec): Promise<Handle[]> => {
    const hs: Handle[] = [];
    for (let n = 1; n <= count; n++) {
      const others = Array.from({ length: count }, (_, i) => i + 1).filter((m) => m !== n);
      hs.push(await up(n, { peers: others, ...spec(n) }));
    }
    return hs;
  };
  return { port, up, all };
}

/** Stop a router before the test ends. */
async function stop(h: Handle): Promise<void> {
  await h.stop();
  running.splice(running.indexOf(h), 1);
}

const get = async (h: Handle, p: string): Promise<string> => (await call(h.api, "GET", p)).body;
const id = (n: number): string => n.toString(16).padStart(64, "c");
const established = (n: number) => async (h: Handle) =>
  (await get(h, "/status")).includes(`Connections: ${n} (${n} established)`);
/** Every router connected to all the others. */
async function meshed(hs: Handle[]): Promise<void> {
  for (const h of hs) await until("mesh", () => established(hs.length - 1)(h));
}
const ready = (h: Handle): Promise<void> =>
  until("ring", async () => (await get(h, "/status")).includes("Status: ready"));
/** `GET /report` as JSON (UIDs, beyond a JS number, zeroed). */
async function report(h: Handle) {
  const r = await call(h.api, "GET", "/report", { headers: { Accept: "application/json" } });
  return JSON.parse(r.body.replace(/"UID": \d+/g, '"UID": 0'));
}

const SEED = [
  { name: "02:00:00:00:00:03", nick: "docker1", c: "c1" },
  { name: "02:00:00:00:00:01", nick: "docker2", c: "c2" },
  { name: "02:00:00:00:00:04", nick: "docker3", c: "c3" },
  { name: "02:00:00:00:00:02", nick: "docker4", c: "c4" },
];

describe("seed mode (fixture 13)", () => {
  it("four routers split the range by sorted names and docker1's status equals the fixture byte for byte", async () => {
    const seed = `seed=${SEED.map((s) => s.name).join(",")}`;
    const hs = await newLab().all(4, (n) => ({ name: SEED[n - 1].name, nick: SEED[n - 1].nick, init: seed }));
    // IPAM is ready at once, before any connection or allocation.
    expect(await get(hs[0], "/status")).toContain("         Status: ready\n");
    await meshed(hs);
    const got: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await call(hs[i].api, "POST", `/ip/${id(i + 1)}`);
      got.push(r.body);
      await call(hs[i].api, "PUT", `/name/${id(i + 1)}/${r.body.split("/")[0]}`, {
        form: { fqdn: `${SEED[i].c}.weave.local.` },
      });
    }
    expect(got).toEqual(["172.16.16.128/24", "172.16.16.1/24", "172.16.16.192/24", "172.16.16.64/24"]);
    await until("DNS gossip", async () => (await get(hs[0], "/status")).includes("Entries: 4"));
    await until("peer records", async () =>
      (await get(hs[0], "/status")).includes("Peers: 4 (with 12 established connections)"),
    );
    const fixture = readFixture("13-docker1-weave-status-seed-after-containers.txt").stdout;
    expect(await get(hs[0], "/status")).toBe(fixture.slice(1, -1));
    const ipam = await get(hs[0], "/status/ipam");
    const fixtureIpam = readFixture("13-docker1-weave-status-ipam-seed-after-containers.txt").stdout;
    expect(ipam.split("\n")[0]).toBe(fixtureIpam.split("\n")[0]);
    expect(ipam.split("\n").sort()).toEqual(fixtureIpam.split("\n").sort());
    const dnsText = await get(hs[3], "/status/dns");
    expect(dnsText.split("\n").map((l) => l.split(/\s+/).slice(0, 2).join(" "))).toEqual([
      "c1 172.16.16.128",
      "c2 172.16.16.1",
      "c3 172.16.16.192",
      "c4 172.16.16.64",
      "",
    ]);
    // /ip/<full id> answers the CIDR; a short id or a name gives an empty 200 (fixture 18).
    expect(await call(hs[0].api, "GET", `/ip/${id(1)}`)).toMatchObject({
      status: 200,
      body: "172.16.16.128/24",
    });
    expect(await call(hs[0].api, "GET", `/ip/${id(1).slice(0, 12)}`)).toMatchObject({
      status: 200,
      body: "",
    });
  });
});

describe("consensus", () => {
  it("three routers with full peer lists agree on one ring when one primes (deferred consensus)", async () => {
    const hs = await newLab().all(3, (n) => ({
      name: `0a:00:00:00:00:0${n}`,
      nick: `n${n}`,
      range: "10.32.0.0/12",
    }));
    await meshed(hs);
    expect(await get(hs[0], "/status/ipam")).toBe("");
    expect(await get(hs[0], "/status")).toContain("         Status: idle\n");
    expect(await call(hs[1].api, "GET", "/ring")).toMatchObject({ status: 200, body: "" });
    for (const h of hs) await ready(h);
    const reports = await Promise.all(hs.map(report));
    const rings = reports.map((r) =>
      r.IPAM.Entries.map(
        (e: { Token: string; Peer: string; Size: number }) => `${e.Token} ${e.Peer} ${e.Size}`,
      ),
    );
    expect(rings[1]).toEqual(rings[0]);
    expect(rings[2]).toEqual(rings[0]);
    const total = reports[0].IPAM.Entries.reduce((s: number, e: { Size: number }) => s + e.Size, 0);
    expect(total).toBe(1048576);
    // At least a quorum (2 of 3) is in the ring, in sorted-name order.
    expect(rings[0].length).toBeGreaterThanOrEqual(2);
  });

  it("a lone router with consensus=3 waits with quorum 2 and known 1, then completes when peers arrive", async () => {
    const lab = newLab();
    const spec = (n: number, nick: string): Spec => ({
      name: `0a:00:00:00:00:0${n}`,
      nick,
      range: "10.32.0.0/12",
      init: "consensus=3",
    });
    const a = await lab.up(1, spec(1, "a"));
    const pending = call(a.api, "POST", `/ip/${id(7)}`);
    await until("awaiting consensus", async () =>
      (await get(a, "/status")).includes("Status: awaiting consensus (quorum: 2, known: 1)"),
    );
    expect((await report(a)).IPAM.Paxos).toEqual({ Elector: true, KnownNodes: 1, Quorum: 2 });
    await lab.up(2, { ...spec(2, "b"), peers: [1] });
    expect((await pending).body).toMatch(/^10\.(3[2-9]|4[0-7])\.\d+\.\d+\/12$/);
    expect(await get(a, "/status")).toContain("Status: ready");
  });
});

describe("connection failures (fixtures 06, 15, 17)", () => {
  it("a router with a different range cannot join a peer that has a ring: Incompatible IP allocation ranges", async () => {
    const lab = newLab();
    const port = lab.port;
    const a = await lab.up(1, { nick: "docker1" });
    await call(a.api, "POST", `/ip/${id(1)}`);
    const d = await lab.up(4, { nick: "docker4", range: "172.64.65.0/24", peers: [1] });
    await until("failed connection", async () => (await get(d, "/status/connections")).includes("failed"));
    const line = await get(d, "/status/connections");
    expect(line).toMatch(
      new RegExp(
        `^-> ${ip(1).replace(/\./g, "\\.")}:${port} +failed      Incompatible IP allocation ranges \\(received: 172\\.16\\.16\\.0/24, ours: 172\\.64\\.65\\.0/24\\), retry: \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d(\\.\\d+)? \\+0000 UTC m=\\+\\d+\\.\\d{9} \\n$`,
      ),
    );
    const status = await get(d, "/status");
    expect(status).toContain("    Connections: 1 (1 failed)\n          Peers: 1\n");
    expect(status).toContain("         Status: idle\n");
    expect(logOf(d)).toContain(
      "connection shutting down due to error: Incompatible IP allocation ranges (received: 172.16.16.0/24, ours: 172.64.65.0/24)",
    );
    // The peer with the ring dials the newcomer back and is reset (06-docker1-weave-status-connections).
    const back = new RegExp(
      `^-> ${ip(4).replace(/\./g, "\\.")}:${port} +failed      read tcp ${ip(1).replace(/\./g, "\\.")}:\\d+->${ip(4).replace(/\./g, "\\.")}:${port}: read: connection reset by peer, retry: `,
      "m",
    );
    await until("dial-back failure on docker1", async () => back.test(await get(a, "/status/connections")));
  });

  it("a wrong-range newcomer to a three-peer ring learns nobody through it, and every link to it fails both ways, again on retry (fixture 06)", async () => {
    const lab = newLab();
    const port = lab.port;
    const ring = await lab.all(3, (n) => ({ nick: `docker${n}`, peers: [1, 2, 3].filter((m) => m < n) }));
    await meshed(ring);
    await call(ring[0].api, "POST", `/ip/${id(1)}`);
    for (const h of ring) await ready(h);
    const d = await lab.up(4, { nick: "docker4", range: "172.64.65.0/24", peers: [1] });
    const esc = (s: string): string => s.replace(/\./g, "\\.");
    const range =
      "Incompatible IP allocation ranges \\(received: 172\\.16\\.16\\.0/24, ours: 172\\.64\\.65\\.0/24\\)";
    const only = new RegExp(`^-> ${esc(ip(1))}:${port} +failed {6}${range}, retry: [^\\n]+ \\n$`);
    await until("docker4's failed target", async () => only.test(await get(d, "/status/connections")));
    // docker1 learned docker4 from its inbound link, dials it and is reset (06-docker1-weave-status-connections).
    const back = new RegExp(
      `^-> ${esc(ip(4))}:${port} +failed {6}read tcp ${esc(ip(1))}:\\d+->${esc(ip(4))}:${port}: read: connection reset by peer, retry: `,
      "m",
    );
    await until("docker1's dial to docker4 reset", async () =>
      back.test(await get(ring[0], "/status/connections")),
    );
    // Let several retries run on both sides: the failure recurs and nothing is ever learned.
    const dropsOf = (): number =>
      logOf(d)
        .split("\n")
        .filter(
          (l) =>
            l.includes(`|`) &&
            l.includes(`connection shutting down due to error: Incompatible IP allocation ranges`),
        ).length;
    const before = dropsOf();
    await until("another range failure on retry", () => dropsOf() > before + 1, 15_000);
    await until("quiet again", async () => only.test(await get(d, "/status/connections")));
    const status = await get(d, "/status");
    expect(status).toContain("        Targets: 1\n    Connections: 1 (1 failed)\n          Peers: 1\n");
    expect(status).toContain("         Status: idle\n");
    expect(await get(d, "/status/peers")).toBe(`${d.router.name}(docker4)\n`);
    // Never dialled docker2 or docker3: no discovery through a link dropped for its range.
    for (const n of [2, 3]) expect(logOf(d)).not.toContain(`->[${ip(n)}:${port}] attempting connection`);
    await until("docker1 reset again", async () => back.test(await get(ring[0], "/status/connections")));
    expect(await get(ring[0], "/status/connections")).not.toMatch(
      new RegExp(`^-> ${esc(ip(4))}:${port} +established`, "m"),
    );
  });

  it("two independently formed rings refuse each other: seeded by different peers, both directions logged (split brain)", async () => {
    const lab = newLab();
    const a = await lab.up(1, { name: "3e:a2:4a:17:e0:d9", nick: "docker1" });
    const b = await lab.up(2, { name: "56:ff:8d:9e:da:f9", nick: "docker2" });
    expect((await call(a.api, "POST", `/ip/${id(1)}`)).body).toBe("172.16.16.1/24");
    expect((await call(b.api, "POST", `/ip/${id(2)}`)).body).toBe("172.16.16.1/24");
    expect(await call(a.api, "POST", "/connect", { form: { peer: ip(2) } })).toMatchObject({
      status: 200,
      body: "",
    });
    await until("failure", async () =>
      (await get(a, "/status/connections")).includes("seeded by different peers"),
    );
    const fixtureLine = readFixture("17-docker1-weave-status-connections-after-connect.txt").stdout;
    const mask = (s: string): string => s.replace(/^-> \S+ +/, "-> ADDR ").replace(/retry: .*$/m, "retry: T");
    expect(mask(await get(a, "/status/connections"))).toBe(mask(fixtureLine));
    await until("mirror log", () =>
      logOf(b).includes(
        "IP allocation was seeded by different peers (received: [3e:a2:4a:17:e0:d9(docker1)], ours: [56:ff:8d:9e:da:f9(docker2)])",
      ),
    );
    expect(await get(b, "/status")).toContain("        Targets: 0\n    Connections: 0\n          Peers: 1\n");
  });

  it("password on one side only: both handshake texts of fixture 15, never established", async () => {
    const lab = newLab();
    const a = await lab.up(1, { nick: "docker1", password: "s3cret-lab" });
    const c = await lab.up(3, { nick: "docker3", peers: [1] });
    await until(
      "both texts",
      () =>
        logOf(a).includes("password specified, but peer requested an unencrypted connection") &&
        logOf(c).includes("no password specificed, but peer requested an encrypted connection"),
    );
    expect(logOf(a)).toMatch(
      /->\[127\.77\.0\.3:\d+\] connection shutting down due to error during handshake: password specified, but peer requested an unencrypted connection/,
    );
    const conns = await get(c, "/status/connections");
    expect(conns).toMatch(
      /failed {6}(no password specificed, but peer requested an encrypted connection|read tcp \S+->\S+: read: connection reset by peer), retry: /,
    );
    expect(await get(a, "/status")).toContain("     Encryption: enabled\n");
    expect(await get(a, "/status/connections")).toBe("");
    expect(logOf(a)).not.toContain("s3cret-lab");
  });

  it("matching passwords connect encrypted (encrypted=truemtu=1414); different passwords fail to decrypt", async () => {
    const lab = newLab();
    const a = await lab.up(1, { nick: "docker1", password: "pw-1" });
    const b = await lab.up(2, { nick: "docker2", password: "pw-1", peers: [1] });
    await until("encrypted link", () => established(1)(b));
    expect(await get(a, "/status/connections")).toMatch(
      /^<- 127\.77\.0\.2:\d+ +established encrypted   sleeve \S+\(docker2\) encrypted=truemtu=1414\n$/,
    );
    const c = await lab.up(3, { nick: "docker3", password: "pw-2", peers: [1] });
    await until(
      "decrypt failure",
      () => logOf(c).includes("Unable to decrypt TCP msg") || logOf(a).includes("Unable to decrypt TCP msg"),
    );
    expect(await get(c, "/status")).toContain("Connections: 1 (1 failed)");
  });

  it("a router listing itself gets 'cannot connect to ourself, retry: never'", async () => {
    const lab = newLab();
    const a = await lab.up(1, { nick: "docker1", peers: [1] });
    await until("self failure", async () => (await get(a, "/status/connections")).includes("never"));
    expect(await get(a, "/status/connections")).toBe(
      `-> ${ip(1)}:${lab.port}`.padEnd(24) + " failed      cannot connect to ourself, retry: never \n",
    );
  });
});

/** Router `n` of a ring seeded by routers 1…count: `02:00:00:00:00:0<n>`, docker<n>. */
const seeded =
  (count: number) =>
  (n: number): Spec => ({
    name: `02:00:00:00:00:0${n}`,
    nick: `docker${n}`,
    init: `seed=${Array.from({ length: count }, (_, i) => `02:00:00:00:00:0${i + 1}`).join(",")}`,
  });

describe("removing peers (fixture 16)", () => {
  async function seededMesh(n = 2, lab = newLab()): Promise<Handle[]> {
    const hs = await lab.all(n, seeded(n));
    await meshed(hs);
    return hs;
  }

  it("reset (DELETE /peer) hands every range to a live peer with the version bumped by 100", async () => {
    const [a, b] = await seededMesh();
    expect((await call(b.api, "DELETE", "/peer")).status).toBe(204);
    await until("hand-over", async () =>
      (await get(a, "/status/ipam")).startsWith(
        "02:00:00:00:00:01(docker1)                 256 IPs (100.0% of total) (0 active)\n",
      ),
    );
    expect(
      (await report(a)).IPAM.Entries.map(
        (e: { Token: string; Peer: string; Version: number }) => `${e.Token} ${e.Peer} ${e.Version}`,
      ),
    ).toEqual(["172.16.16.0 02:00:00:00:00:01 0", "172.16.16.128 02:00:00:00:00:01 100"]);
    // The reset peer no longer lists itself and refuses new work.
    expect(await get(b, "/status/ipam")).toBe(
      "02:00:00:00:00:01(docker1)                 256 IPs (100.0% of total) \n",
    );
    expect(await call(b.api, "POST", `/ip/${id(9)}`)).toMatchObject({ status: 200, body: "cancelled" });
  });

  it("the hand-over is sent before DELETE /peer answers, so killing the router right after loses nothing", async () => {
    const [a, b] = await seededMesh();
    expect((await call(b.api, "DELETE", "/peer")).status).toBe(204);
    await stop(b);
    await until("hand-over", async () =>
      (await get(a, "/status/ipam")).includes("256 IPs (100.0% of total)"),
    );
  });

  it("a stopped peer's range is unreachable until one survivor runs rmpeer; the others catch up", async () => {
    const [a, b, c] = await seededMesh(3);
    await stop(c);
    await until("unreachable", async () =>
      (await get(a, "/status/ipam")).includes(
        "02:00:00:00:00:03(docker3)                  64 IPs (25.0% of total) - unreachable!\n",
      ),
    );
    expect(await call(a.api, "DELETE", "/peer/docker3")).toMatchObject({
      status: 200,
      body: "64 IPs taken over from docker3\n",
    });
    expect(await call(a.api, "DELETE", "/peer/02:00:00:00:00:03")).toMatchObject({
      status: 200,
      body: "0 IPs taken over from 02:00:00:00:00:03\n",
    });
    expect((await get(a, "/status/ipam")).split("\n")[0]).toBe(
      "02:00:00:00:00:01(docker1)                 192 IPs (75.0% of total) (0 active)",
    );
    await until("b catches up", async () => !(await get(b, "/status/ipam")).includes("unreachable"));
    expect(await get(b, "/status/ipam")).toContain(
      "02:00:00:00:00:01(docker1)                 192 IPs (75.0% of total) \n",
    );
  });

  it("relaunching a reset peer with the same seed while peers hold the newer ring crashes like weaver", async () => {
    const lab = newLab();
    const [a, b] = await seededMesh(2, lab);
    await call(b.api, "DELETE", "/peer");
    await until("hand-over", async () => (await get(a, "/status/ipam")).includes("256 IPs"));
    await stop(b);
    const again = await lab.up(2, { ...seeded(2)(2), peers: [1] });
    await until("panic", () => again.fatal !== undefined);
    const log = logOf(again);
    expect(log).toContain("[allocator 02:00:00:00:00:02] Initialising with supplied IPAM seed");
    expect(log).toContain(
      "ring: repair inconsistent data by accepting token 172.16.16.128 from 02:00:00:00:00:01 - no allocations up to 172.16.17.0",
    );
    expect(log.match(/panic: /g)).toHaveLength(1);
    expect(log).toContain("panic: Assertion failure\n");
  });
});

describe("IPAM across peers", () => {
  it("a peer out of space gets a donation: upper half of the donor's largest free block", async () => {
    const [a, b] = await newLab().all(2, (n) => ({
      ...seeded(2)(n),
      nick: n === 1 ? "a" : "b",
      range: "172.16.16.0/28",
    }));
    await until("mesh", () => established(1)(b));
    const got: string[] = [];
    for (let i = 1; i <= 8; i++) got.push((await call(a.api, "POST", `/ip/${id(i)}`)).body);
    expect(got).toEqual([1, 2, 3, 4, 5, 6, 7, 12].map((n) => `172.16.16.${n}/28`));
    await until("b learns", async () =>
      (await get(b, "/status/ipam")).startsWith(
        "02:00:00:00:00:02(b)                         4 IPs (25.0% of total) (0 active)\n",
      ),
    );
  });

  it("claims: outside the range are local only; inside, an address used by its owner is refused", async () => {
    const [a, b] = await newLab().all(2, seeded(2));
    await until("mesh", () => established(1)(b));
    expect((await call(a.api, "PUT", `/ip/${id(1)}/1.1.1.1/24`)).status).toBe(204);
    expect(await call(a.api, "PUT", `/ip/${id(2)}/1.1.1.1/24`)).toMatchObject({
      status: 400,
      body: `Unable to claim: address 1.1.1.1/24 already in use by ${id(1)}`,
    });
    expect((await call(b.api, "POST", `/ip/${id(3)}`)).body).toBe("172.16.16.128/24");
    expect(await call(a.api, "PUT", `/ip/${id(4)}/172.16.16.128/24`)).toMatchObject({
      status: 400,
      body: "Unable to claim: address 172.16.16.128/24 is owned by other peer 02:00:00:00:00:02 (docker2)",
    });
    expect((await call(a.api, "PUT", `/ip/${id(5)}/172.16.16.200/24`)).status).toBe(204);
    await until("fragmented ring", async () =>
      (await get(b, "/status/ipam")).includes("02:00:00:00:00:01(docker1)                 129 IPs"),
    );
    expect(await call(a.api, "DELETE", `/ip/${id(5)}/172.16.16.201`)).toMatchObject({
      status: 400,
      body: `Unable to free: Free: address 172.16.16.201 not found for ${id(5)}`,
    });
    expect((await call(a.api, "DELETE", `/ip/${id(5)}/172.16.16.200`)).status).toBe(204);
  });

  it("keeps its ring and allocations across a relaunch with the same name and range", async () => {
    const lab = newLab();
    const spec: Spec = { name: "02:00:00:00:00:01", nick: "a" };
    const a = await lab.up(1, spec);
    expect((await call(a.api, "POST", `/ip/${id(1)}`)).body).toBe("172.16.16.1/24");
    await new Promise((r) => setTimeout(r, 50));
    await stop(a);
    const again = await lab.up(1, { ...spec, home: a.home });
    expect(logOf(again)).toContain("[allocator 02:00:00:00:00:01] Initialising with persisted data");
    expect(await get(again, `/ip/${id(1)}`)).toBe("172.16.16.1/24");
    expect((await call(again.api, "POST", `/ip/${id(2)}`)).body).toBe("172.16.16.2/24");
    await stop(again);
    const moved = await lab.up(1, { ...spec, range: "10.2.0.0/16", home: a.home });
    expect(logOf(moved)).toContain(
      "[allocator 02:00:00:00:00:01] Deleting persisted data for IPAM range 172.16.16.0/24",
    );
    expect(await get(moved, `/ip/${id(1)}`)).toBe("");
  });
});

describe("weaveDNS", () => {
  function query(server: string, port: number, name: string): Promise<{ rcode: number; ips: string[] }> {
    return new Promise((resolve, reject) => {
      const s = dgram.createSocket("udp4");
      const labels = name.replace(/\.$/, "").split(".");
      const q = Buffer.concat([
        Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]),
        ...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])),
        Buffer.from([0, 0, 1, 0, 1]),
      ]);
      s.on("message", (m) => {
        s.close();
        const rcode = m.readUInt16BE(2) & 0xf;
        const an = m.readUInt16BE(6);
        const ips: string[] = [];
        for (let i = 0; i < an; i++)
          ips.push([...m.subarray(m.length - (an - i) * 16 + 12, m.length - (an - i) * 16 + 16)].join("."));
        resolve({ rcode, ips: ips.sort() });
      });
      s.on("error", reject);
      s.send(q, port, server);
    });
  }

  it("answers names registered on any peer, forgets them when the origin peer goes away", async () => {
    const lab = newLab();
    const port = lab.port;
    const a = await lab.up(1, { nick: "a" });
    const b = await lab.up(2, { nick: "b", peers: [1] });
    await until("mesh", () => established(1)(b));
    expect(
      (await call(b.api, "PUT", `/name/${id(1)}/172.16.16.9`, { form: { fqdn: "Web.weave.local" } })).status,
    ).toBe(204);
    expect(
      (await call(a.api, "PUT", `/name/${id(2)}/172.16.16.10`, { form: { fqdn: "web.weave.local." } }))
        .status,
    ).toBe(204);
    expect(
      (await call(a.api, "PUT", `/name/${id(3)}/172.16.16.11`, { form: { fqdn: "web.example.com." } }))
        .status,
    ).toBe(204);
    await until("gossip", async () => (await get(a, "/status/dns")).split("\n").length === 3);
    expect(await query(ip(1), port + 3, "web.weave.local")).toEqual({
      rcode: 0,
      ips: ["172.16.16.10", "172.16.16.9"],
    });
    expect(await query(ip(1), port + 3, "web")).toEqual({
      rcode: 0,
      ips: ["172.16.16.10", "172.16.16.9"],
    });
    expect((await query(ip(1), port + 3, "nosuch.weave.local")).rcode).toBe(3);
    expect(logOf(a)).toContain("Ignoring registration web.example.com. (not a subdomain of weave.local.)");
    await stop(b);
    await until("origin gone", async () => (await get(a, "/status/dns")).split("\n").length === 2);
    expect(await query(ip(1), port + 3, "web")).toEqual({ rcode: 0, ips: ["172.16.16.10"] });
    await call(a.api, "DELETE", `/name/${id(2)}/172.16.16.10?fqdn=web.weave.local.`);
    expect(await get(a, "/status/dns")).toBe("");
    expect((await get(a, "/status")).includes("        Entries: 0\n")).toBe(true);
  });

  it("wire helpers round-trip a question", () => {
    const q = parseQuery(Buffer.from([0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0x61, 0, 0, 1, 0, 1]))!;
    expect(q.name).toBe("a.");
    expect(buildResponse(q, 0, ["10.0.0.1"], 1, true).readUInt16BE(6)).toBe(1);
  });
});

describe("HTTP API details", () => {
  it("GET /report needs Accept: application/json exactly; unknown status views are 404", async () => {
    const a = await newLab().up(1, { nick: "a" });
    expect(await call(a.api, "GET", "/report")).toMatchObject({
      status: 400,
      body: "error: must supply one format parameter\n",
    });
    expect(await call(a.api, "GET", "/report", { headers: { Accept: "*/*" } })).toMatchObject({
      status: 400,
    });
    const r = await call(a.api, "GET", "/report", { headers: { Accept: "application/json" } });
    expect(r.headers["content-type"]).toBe("application/json");
    expect(r.body.endsWith("}")).toBe(true);
    expect(await call(a.api, "GET", "/status/bogus")).toMatchObject({
      status: 404,
      body: "404 page not found\n",
    });
    expect(await call(a.api, "GET", "/report?format=%7B%7B.Version%7D%7D")).toMatchObject({
      status: 200,
      body: "2.8.1",
    });
    expect(
      await call(a.api, "POST", "/connect", { form: { peer: ["nosuchhost.invalid", ":x", "h:abc"] } }),
    ).toMatchObject({
      status: 400,
      body: 'lookup nosuchhost.invalid: no such host\ninvalid peer name ":x", should be host[:port]\naddress tcp/abc: unknown port',
    });
    expect(await get(a, "/domain")).toBe("weave.local.");
  });

  it("with IPAM disabled /status/ipam is a template error and /ip is 404; with --no-dns the same for dns", async () => {
    const a = await newLab().up(1, { nick: "a", range: "", flags: ["--no-dns"] });
    expect(await call(a.api, "GET", "/status/ipam")).toMatchObject({
      status: 500,
      body: "error during template execution",
    });
    expect(await call(a.api, "GET", "/status/dns")).toMatchObject({
      status: 500,
      body: "error during template execution",
    });
    expect((await call(a.api, "POST", `/ip/${id(1)}`)).status).toBe(404);
    expect((await call(a.api, "GET", "/ring")).status).toBe(404);
    expect(await get(a, "/status")).not.toContain("Service: ipam");
  });
});

describe("IPAM life cycle", () => {
  it("an exhausted /29 queues the 7th allocation (waiting for IP(s) to become available) until one is freed", async () => {
    const a = await newLab().up(1, { nick: "a", range: "172.16.16.0/29" });
    const got: string[] = [];
    for (let i = 1; i <= 6; i++) got.push((await call(a.api, "POST", `/ip/${id(i)}`)).body);
    expect(got).toEqual([1, 2, 3, 4, 5, 6].map((n) => `172.16.16.${n}/29`));
    const seventh = call(a.api, "POST", `/ip/${id(7)}`);
    await until("waiting status", async () =>
      (await get(a, "/status")).includes("         Status: waiting for IP(s) to become available\n"),
    );
    expect((await report(a)).IPAM.PendingAllocates).toEqual([`${id(7)} 172.16.16.0/29`]);
    expect((await call(a.api, "DELETE", `/ip/${id(3)}`)).status).toBe(204);
    expect((await seventh).body).toBe("172.16.16.3/29");
    expect(await get(a, "/status")).toContain("Status: ready");
  });

  it("a stopped container loses its DNS names at once and its addresses after the grace period", async () => {
    let alive = true;
    const a = await newLab().up(1, { nick: "a", deadGraceMs: 300, alive: () => alive });
    expect((await call(a.api, "POST", `/ip/${id(1)}?check-alive=true`)).body).toBe("172.16.16.1/24");
    await call(a.api, "PUT", `/name/${id(1)}/172.16.16.1?check-alive=true`, {
      form: { fqdn: "web.weave.local." },
    });
    expect(await get(a, "/status/dns")).toBe(
      `web          172.16.16.1     ${id(1).slice(0, 12)} ${a.router.name}\n`,
    );
    alive = false;
    await until("tombstone", async () => (await get(a, "/status/dns")) === "");
    await until("addresses freed", async () => (await get(a, `/ip/${id(1)}`)) === "");
    expect((await get(a, "/status/ipam")).split("\n")[0]).toMatch(/\(0 active\)$/);
  });

  it("a removed container (Docker destroy) loses its addresses at once, not after the grace period", async () => {
    let alive = true;
    let destroyed = false;
    const a = await newLab().up(1, {
      nick: "a",
      deadGraceMs: 3_600_000,
      alive: () => alive,
      destroyed: () => destroyed,
    });
    expect((await call(a.api, "POST", `/ip/${id(1)}?check-alive=true`)).body).toBe("172.16.16.1/24");
    alive = false;
    destroyed = true;
    await until("addresses freed", async () => (await get(a, `/ip/${id(1)}`)) === "");
  });

  it("an observer shows 'priming' until an elector builds the ring for it", async () => {
    const lab = newLab();
    const range = "10.32.0.0/12";
    const obs = await lab.up(1, {
      name: "0a:00:00:00:00:09",
      nick: "obs",
      range,
      init: "observer",
      peers: [2],
    });
    const prime = call(obs.api, "GET", "/ring");
    await until("priming", async () => (await get(obs, "/status")).includes("         Status: priming\n"));
    // The elector has no targets of its own, so its quorum is 1.
    await lab.up(2, { name: "0a:00:00:00:00:01", nick: "el", range });
    expect((await prime).status).toBe(200);
    const ipam = await get(obs, "/status/ipam");
    expect(ipam).toBe("0a:00:00:00:00:01(el)                  1048576 IPs (100.0% of total) \n");
  });

  it("consensus=4 with a prime gives a ring every peer agrees on, over at least a quorum of 3 (fixture 14)", async () => {
    const hs = await newLab().all(4, (n) => ({
      name: `0b:00:00:00:00:0${n}`,
      nick: `docker${n}`,
      init: "consensus=4",
    }));
    await meshed(hs);
    for (const h of hs) expect(await get(h, "/status/ipam")).toBe("");
    expect(await call(hs[2].api, "GET", "/ring")).toMatchObject({ status: 200, body: "" });
    for (const h of hs) await ready(h);
    const rings = await Promise.all(
      hs.map(async (h) =>
        (await get(h, "/status/ipam"))
          .split("\n")
          .filter(Boolean)
          .map((l) => l.replace(/ \(\d+ active\)$/, " "))
          .sort(),
      ),
    );
    for (const r of rings) expect(r).toEqual(rings[0]);
    expect(rings[0].length).toBeGreaterThanOrEqual(3);
    const sizes = rings[0].map((l) => Number(/(\d+) IPs/.exec(l)![1]));
    expect(sizes.reduce((x, y) => x + y, 0)).toBe(256);
  });
});

describe("topology", () => {
  it("discovers peers of peers: C, told only of B, also connects to A", async () => {
    const lab = newLab();
    const a = await lab.up(1, { nick: "a" });
    const b = await lab.up(2, { nick: "b", peers: [1] });
    await until("a-b", () => established(1)(b));
    const c = await lab.up(3, { nick: "c", peers: [2] });
    await until("c reaches a", () => established(2)(c));
    expect(await get(c, "/status")).toContain(
      "        Targets: 1\n    Connections: 2 (2 established)\n          Peers: 3 (with 6 established connections)\n",
    );
    expect(await get(c, "/status/targets")).toBe(`${ip(2)}\n`);
    await until("a sees 3 peers", async () =>
      (await get(a, "/status")).includes("Peers: 3 (with 6 established connections)"),
    );
  });

  it("two routers dialling each other at once keep one connection, seen from opposite sides at both ends", async () => {
    // Both dials can complete; each end must drop the same one, or the pair keeps none or two.
    for (let round = 0; round < 6; round++) {
      const lab = newLab();
      const a = await lab.up(1, { nick: "a" });
      const b = await lab.up(2, { nick: "b" });
      await Promise.all([
        call(a.api, "POST", "/connect", { form: { peer: [ip(2)] } }),
        call(b.api, "POST", "/connect", { form: { peer: [ip(1)] } }),
      ]);
      await until("one link each", async () => (await established(1)(a)) && (await established(1)(b)));
      await new Promise((r) => setTimeout(r, 300));
      const dirs = await Promise.all(
        [a, b].map(async (h) => (await get(h, "/status/connections")).split("\n").filter(Boolean)),
      );
      expect(dirs.map((lines) => lines.map((l) => `${l.slice(0, 2)} ${/established/.test(l)}`))).toEqual(
        dirs[0][0]?.startsWith("->") ? [["-> true"], ["<- true"]] : [["<- true"], ["-> true"]],
      );
      // The one kept was never closed: every connection either end shut down was a duplicate.
      const shutdowns = [a, b].flatMap((h) =>
        logOf(h)
          .split("\n")
          .filter((l) => /connection shutting down/.test(l) && !/Multiple connections/.test(l)),
      );
      expect(shutdowns).toEqual([]);
      await stop(a);
      await stop(b);
    }
  });

  it("with --no-discovery everywhere peers only talk to their own targets", async () => {
    const lab = newLab();
    const flags = ["--no-discovery"];
    await lab.up(1, { nick: "a", flags });
    const b = await lab.up(2, { nick: "b", flags, peers: [1] });
    await until("a-b", () => established(1)(b));
    const c = await lab.up(3, { nick: "c", flags, peers: [2] });
    await until("c-b", () => established(1)(c));
    await until("c knows a", async () => (await get(c, "/status")).includes("Peers: 3"));
    await new Promise((r) => setTimeout(r, 300));
    expect(await get(c, "/status")).toContain(
      "  PeerDiscovery: disabled\n        Targets: 1\n    Connections: 1 (1 established)\n",
    );
  });

  it("two hosts with the same peer name refuse each other for good (G6)", async () => {
    const lab = newLab();
    await lab.up(1, { name: "aa:00:00:00:00:01", nick: "clone1" });
    const b = await lab.up(2, { name: "aa:00:00:00:00:01", nick: "clone2", peers: [1] });
    await until("collision", async () => (await get(b, "/status/connections")).includes("never"));
    expect(await get(b, "/status/connections")).toBe(
      `-> ${ip(1)}:${lab.port}`.padEnd(24) +
        ' failed      local "aa:00:00:00:00:01(clone2)" and remote "aa:00:00:00:00:01(clone1)" peer names collision, retry: never \n',
    );
  });

  it("forget stops retrying a target; connect --replace swaps the target list; trusted subnets are listed", async () => {
    const a = await newLab().up(1, {
      nick: "a",
      flags: ["--trusted-subnets", "10.0.0.0/8,192.168.57.0/24"],
      peers: [5],
    });
    expect(await get(a, "/status")).toContain(" TrustedSubnets: 10.0.0.0/8, 192.168.57.0/24\n");
    await until("refused", async () =>
      /failed {6}dial tcp :0->127\.77\.0\.5:\d+: connect: connection refused, retry: /.test(
        await get(a, "/status/connections"),
      ),
    );
    await call(a.api, "POST", "/connect", { form: { peer: [ip(6), ip(7)], replace: "true" } });
    expect((await get(a, "/status/targets")).split("\n").sort()).toEqual(["", ip(6), ip(7)]);
    expect((await call(a.api, "POST", "/forget", { form: { peer: ip(6) } })).status).toBe(200);
    expect(await get(a, "/status/targets")).toBe(`${ip(7)}\n`);
    expect(await get(a, "/status")).toContain("        Targets: 1\n");
  });
});

describe("scale", () => {
  it("eight routers launched with full peer lists form a full mesh and share one ring within seconds", async () => {
    const hs = await newLab().all(8, (n) => ({ nick: `s${n}`, range: "10.32.0.0/12" }));
    for (const h of hs)
      await until(
        "full mesh",
        async () => (await get(h, "/status")).includes("Peers: 8 (with 56 established connections)"),
        15_000,
      );
    const results = await Promise.all(hs.map((h, i) => call(h.api, "POST", `/ip/${id(100 + i)}`)));
    expect(new Set(results.map((r) => r.body)).size).toBe(8);
  });
});

describe("discovery through inbound links (fixture 05)", () => {
  it("docker3, told only of docker1, also connects to docker2 whose only link is its outbound one to docker1", async () => {
    const lab = newLab();
    const d1 = await lab.up(1, { nick: "docker1" });
    const d2 = await lab.up(2, { nick: "docker2", peers: [1] });
    await until("d2-d1", () => established(1)(d2));
    const d3 = await lab.up(3, { nick: "docker3", peers: [1] });
    await until("d3 reaches d2", () => established(2)(d3));
    const lines = (await get(d3, "/status/connections")).split("\n").filter(Boolean).sort();
    expect(lines.map((l) => l.split(/\s+/).slice(0, 3).join(" "))).toEqual([
      `-> ${ip(1)}:${lab.port} established`,
      `-> ${ip(2)}:${lab.port} established`,
    ]);
    await until("d1 sees all", async () =>
      (await get(d1, "/status")).includes("Peers: 3 (with 6 established connections)"),
    );
  });
});
