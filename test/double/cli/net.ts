/**
 * `docker exec` inside the double's containers: just enough of busybox (`ip addr`, `cat`,
 * `hostname`, `nslookup`, `getent`, `ping`, `wget`) to prove networking the way the textbook does.
 *
 * Names are resolved by a real DNS query to the router double's weaveDNS (only for containers
 * whose resolv.conf points at it, as with the proxy or `$(weave dns-args)`). An address answers
 * only when it is on a running container's `ethwe` on some lab host, the source has an address in
 * the same subnet, and — across hosts — the local router's topology (`/report`) contains the
 * target host's peer. The lab's hosts are the sibling directories of `$WEAVE_DOUBLE_HOME` (one per
 * host, same filesystem): that directory is the double's "wire".
 */
import * as dgram from "dgram";
import * as fs from "fs";
import * as path from "path";
import { ContainerRecord, listContainers, readBridge, BridgeRecord } from "../state";
import { imageMeta } from "./images";
import { routerRequest, sleep } from "./io";
import { Ctx, DOCKER_BRIDGE_IP, lastFlag, weaveArgs } from "./weavecore";

function ipNum(ip: string): number {
  return ip.split(".").reduce((a, x) => a * 256 + Number(x), 0);
}

/** True when `ip` is inside the network of `cidr` (host bits of the cidr ignored). */
export function inSubnet(ip: string, cidr: string): boolean {
  const [addr, lenStr] = cidr.split("/");
  const len = Number(lenStr);
  const size = 2 ** (32 - len);
  const net = ipNum(addr) - (ipNum(addr) % size);
  const x = ipNum(ip);
  return x >= net && x < net + size;
}

function broadcast(cidr: string): string {
  const [addr, lenStr] = cidr.split("/");
  const size = 2 ** (32 - Number(lenStr));
  const b = ipNum(addr) - (ipNum(addr) % size) + size - 1;
  return [b >>> 24, (b >>> 16) & 255, (b >>> 8) & 255, b & 255].join(".");
}

/** Minimal DNS A query over UDP; undefined when no server answered in time. */
export function dnsQueryA(
  server: string,
  port: number,
  name: string,
  timeoutMs = 1500,
): Promise<{ rcode: number; ips: string[] } | undefined> {
  const qname = name.endsWith(".") ? name : `${name}.`;
  const labels = qname.split(".").filter(Boolean);
  const id = Math.floor(Math.random() * 65535);
  const parts: Buffer[] = [Buffer.from([id >> 8, id & 255, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0])];
  for (const l of labels) parts.push(Buffer.from([l.length]), Buffer.from(l, "ascii"));
  parts.push(Buffer.from([0, 0, 1, 0, 1]));
  const msg = Buffer.concat(parts);
  return new Promise((resolve) => {
    const sock = dgram.createSocket("udp4");
    const done = (v: { rcode: number; ips: string[] } | undefined): void => {
      clearTimeout(t);
      try {
        sock.close();
      } catch {
        // Already closed.
      }
      resolve(v);
    };
    const t = setTimeout(() => done(undefined), timeoutMs);
    sock.on("error", () => done(undefined));
    sock.on("message", (b: Buffer) => {
      if (b.length < 12 || b.readUInt16BE(0) !== id) return;
      const rcode = b[3] & 0x0f;
      const qd = b.readUInt16BE(4);
      const an = b.readUInt16BE(6);
      let off = 12;
      const skipName = (): void => {
        while (off < b.length) {
          const len = b[off];
          if (len === 0) {
            off += 1;
            return;
          }
          if ((len & 0xc0) === 0xc0) {
            off += 2;
            return;
          }
          off += len + 1;
        }
      };
      for (let i = 0; i < qd; i++) {
        skipName();
        off += 4;
      }
      const ips: string[] = [];
      for (let i = 0; i < an && off < b.length; i++) {
        skipName();
        const type = b.readUInt16BE(off);
        const rdlen = b.readUInt16BE(off + 8);
        off += 10;
        if (type === 1 && rdlen === 4) ips.push([...b.subarray(off, off + 4)].join("."));
        off += rdlen;
      }
      done({ rcode, ips });
    });
    sock.send(msg, port, server, (err) => {
      if (err) done(undefined);
    });
  });
}

/** Where this host's weaveDNS answers: the launch's `--dns-listen-address`, else loopback. */
function dnsServers(ctx: Ctx): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  const a = lastFlag(weaveArgs(ctx) ?? [], ["--dns-listen-address"]);
  if (a) {
    const [h, p] = a.split(":");
    out.push([h, Number(p || 53)]);
  }
  out.push(["127.0.0.1", 53]);
  return out;
}

/** Ask the local weaveDNS; undefined when it does not answer at all. */
export async function weaveDnsLookup(
  ctx: Ctx,
  name: string,
): Promise<{ rcode: number; ips: string[] } | undefined> {
  for (const [h, p] of dnsServers(ctx)) {
    const r = await dnsQueryA(h, p, name, 800);
    if (r) return r;
  }
  return undefined;
}

function usesWeaveDns(c: ContainerRecord): boolean {
  return c.HostConfig.Dns.includes(DOCKER_BRIDGE_IP);
}

function resolvConf(c: ContainerRecord): string {
  let s = "";
  // Docker writes search domains without their trailing dot (seen on real 2.8.1 DinD hosts: dns-args
  // says `weave.local.`, resolv.conf says `search weave.local`).
  const search = c.HostConfig.DnsSearch.filter((x) => x !== ".").map((x) => x.replace(/\.$/, ""));
  if (search.length > 0) s += `search ${search.join(" ")}\n`;
  if (
    c.HostConfig.NetworkMode !== "default" &&
    c.HostConfig.NetworkMode !== "bridge" &&
    c.HostConfig.NetworkMode !== "none" &&
    c.HostConfig.Dns.length === 0
  ) {
    // User-defined networks (the plugin's `weave`) use Docker's embedded resolver.
    return s + "nameserver 127.0.0.11\noptions ndots:0\n";
  }
  const ns = c.HostConfig.Dns.length > 0 ? c.HostConfig.Dns : ["8.8.8.8", "8.8.4.4"];
  for (const n of ns) s += `nameserver ${n}\n`;
  return s + "options ndots:0\n";
}

/** The proxy rewrites /etc/hosts (Weave's format, fixture 08); otherwise Docker's own. */
function etcHosts(c: ContainerRecord): string {
  const host = c.Config.Hostname;
  const fqdn = c.Config.Domainname ? `${host}.${c.Config.Domainname}` : host;
  if (c.Config.Entrypoint?.[0] === "/w/w" && c.Weave) {
    const pad = (ip: string): string => ip.padEnd(16);
    let s = "# created by Weave - BEGIN\n# container hostname\n";
    for (const cidr of c.Weave.Cidrs) s += `${pad(cidr.split("/")[0])}${fqdn} ${host}\n`;
    s += "\n# static names added with --add-host\n\n# default localhost entries\n";
    s += `${pad("127.0.0.1")}localhost\n${pad("::1")}ip6-localhost ip6-loopback\n${pad("fe00::0")}ip6-localnet\n${pad("ff00::0")}ip6-mcastprefix\n${pad("ff02::1")}ip6-allnodes\n${pad("ff02::2")}ip6-allrouters\n`;
    return s + "# created by Weave - END\n\n";
  }
  let s =
    "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n";
  if (c.NetworkSettings.IPAddress)
    s += `${c.NetworkSettings.IPAddress}\t${fqdn === host ? host : `${fqdn} ${host}`}\n`;
  return s;
}

/** `ip addr` as busybox prints it (interface indexes are arbitrary, as in a real container). */
function ipAddr(
  c: ContainerRecord,
  v4only: boolean,
  dev?: string,
): { out: string; err: string; code: number } {
  const base = 2 * (c.Seq % 40) + 6;
  const blocks: Array<{ name: string; text: string }> = [];
  let lo = "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue qlen 1000\n";
  if (!v4only) lo += "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n";
  lo += "    inet 127.0.0.1/8 scope host lo\n       valid_lft forever preferred_lft forever\n";
  blocks.push({ name: "lo", text: lo });
  if (c.NetworkSettings.IPAddress) {
    let e = `${base}: eth0@if${base + 1}: <BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN> mtu 1500 qdisc noqueue \n`;
    if (!v4only) e += `    link/ether ${c.NetworkSettings.MacAddress} brd ff:ff:ff:ff:ff:ff\n`;
    e += `    inet ${c.NetworkSettings.IPAddress}/16 brd 172.17.255.255 scope global eth0\n       valid_lft forever preferred_lft forever\n`;
    blocks.push({ name: "eth0", text: e });
  }
  if (c.Weave) {
    let w = `${base + 2}: ethwe@if${base + 3}: <BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN> mtu 65535 qdisc noqueue \n`;
    if (!v4only) w += `    link/ether ${c.Weave.Mac} brd ff:ff:ff:ff:ff:ff\n`;
    const nets = new Set<string>();
    for (const cidr of c.Weave.Cidrs) {
      const net = `${broadcast(cidr)}/${cidr.split("/")[1]}`;
      const secondary = nets.has(net) ? "secondary " : "";
      nets.add(net);
      w += `    inet ${cidr} brd ${broadcast(cidr)} scope global ${secondary}ethwe\n       valid_lft forever preferred_lft forever\n`;
    }
    blocks.push({ name: "ethwe", text: w });
  }
  if (dev !== undefined) {
    const b = blocks.find((x) => x.name === dev);
    if (!b) return { out: "", err: `ip: can't find device '${dev}'\n`, code: 1 };
    return { out: b.text, err: "", code: 0 };
  }
  return { out: blocks.map((b) => b.text).join(""), err: "", code: 0 };
}

interface LabContainer {
  host: string;
  home: string;
  c: ContainerRecord;
}

/** Every lab host's home (siblings of ours) with its containers and bridge. */
function labHosts(
  ctx: Ctx,
): Array<{ host: string; home: string; bridge: BridgeRecord | undefined; containers: ContainerRecord[] }> {
  const labDir = path.dirname(ctx.home);
  const out: Array<{
    host: string;
    home: string;
    bridge: BridgeRecord | undefined;
    containers: ContainerRecord[];
  }> = [];
  let names: string[] = [];
  try {
    names = fs.readdirSync(labDir);
  } catch {
    names = [path.basename(ctx.home)];
  }
  for (const n of names) {
    const home = path.join(labDir, n);
    if (home !== ctx.home && !fs.existsSync(path.join(home, "docker"))) continue;
    out.push({ host: n, home, bridge: readBridge(home), containers: listContainers(home) });
  }
  return out;
}

function routerRunning(containers: ContainerRecord[], name: string): boolean {
  return containers.some((c) => c.Name === `/${name}` && c.State.Status === "running");
}

/**
 * Does a packet from `src` reach `ip`? Returns the container answering (or the host for an
 * exposed bridge address), or undefined when it is lost.
 */
async function reach(
  ctx: Ctx,
  src: ContainerRecord,
  ip: string,
): Promise<LabContainer | { host: string; exposed: true } | undefined> {
  if (ip.startsWith("127.")) return { host: ctx.host, home: ctx.home, c: src };
  const own = [src.NetworkSettings.IPAddress, ...(src.Weave?.Cidrs.map((x) => x.split("/")[0]) ?? [])];
  if (own.includes(ip)) return { host: ctx.host, home: ctx.home, c: src };
  const hosts = labHosts(ctx);
  if (src.NetworkSettings.IPAddress && inSubnet(ip, "172.17.0.0/16")) {
    const me = hosts.find((h) => h.home === ctx.home);
    const t = me?.containers.find((c) => c.State.Status === "running" && c.NetworkSettings.IPAddress === ip);
    return t ? { host: ctx.host, home: ctx.home, c: t } : undefined;
  }
  const srcCidr = src.Weave?.Cidrs.find((cidr) => inSubnet(ip, cidr));
  if (!srcCidr) return undefined; // Not on a connected subnet: the default route leads nowhere.
  const srcIp = srcCidr.split("/")[0];
  for (const h of hosts) {
    let hit: LabContainer | { host: string; exposed: true } | undefined;
    for (const c of h.containers) {
      if (c.State.Status !== "running" || !c.Weave) continue;
      const tc = c.Weave.Cidrs.find((x) => x.split("/")[0] === ip);
      if (tc && inSubnet(srcIp, tc)) hit = { host: h.host, home: h.home, c };
    }
    if (!hit && h.bridge?.Cidrs.some((x) => x.split("/")[0] === ip && inSubnet(srcIp, x)))
      hit = { host: h.host, exposed: true };
    if (!hit) continue;
    if (h.home === ctx.home) return hit;
    // Across hosts the packet needs both routers and a path between them in the mesh.
    const me = hosts.find((x) => x.home === ctx.home);
    if (
      !me ||
      !routerRunning(me.containers, ctx.containerName) ||
      !routerRunning(h.containers, ctx.containerName) ||
      !h.bridge
    )
      continue;
    const rep = await routerRequest(ctx.httpAddr, "GET", "/report", {
      headers: { Accept: "application/json" },
    });
    if (rep.kind !== "http" || rep.status !== 200) continue;
    try {
      const peers =
        (JSON.parse(rep.body) as { Router?: { Peers?: Array<{ Name: string }> } }).Router?.Peers ?? [];
      if (peers.some((p) => p.Name === h.bridge?.Mac)) return hit;
    } catch {
      // An unparsable report means no route we can prove.
    }
  }
  return undefined;
}

/** Resolve like the container's libc would: its own names from /etc/hosts, then its resolver. */
async function resolve(ctx: Ctx, c: ContainerRecord, name: string): Promise<string[] | undefined> {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return [name];
  if (name === "localhost") return ["127.0.0.1"];
  const fqdn = c.Config.Domainname ? `${c.Config.Hostname}.${c.Config.Domainname}` : c.Config.Hostname;
  if (name === c.Config.Hostname || name === fqdn) {
    const own = c.Weave?.Cidrs[0]?.split("/")[0] ?? c.NetworkSettings.IPAddress;
    if (own) return [own];
  }
  if (!usesWeaveDns(c)) return undefined;
  const r = await weaveDnsLookup(ctx, name);
  if (!r || r.rcode !== 0 || r.ips.length === 0) return undefined;
  return r.ips;
}

function scaled(ctx: Ctx, ms: number): number {
  return ms * ctx.cfg.timeScale;
}

async function ping(ctx: Ctx, c: ContainerRecord, args: string[]): Promise<number> {
  let count = 4;
  let wait = 10;
  let target: string | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "-c") count = Number(args[++i]);
    else if (args[i] === "-W") wait = Number(args[++i]);
    else if (args[i] === "-w") i++;
    else if (args[i] === "-q") continue;
    else target = args[i];
  }
  if (!target) {
    ctx.io.errLine("BusyBox v1.36.1 multi-call binary.\n\nUsage: ping [OPTIONS] HOST");
    return 1;
  }
  const ips = await resolve(ctx, c, target);
  if (!ips) {
    ctx.io.errLine(`ping: bad address '${target}'`);
    return 1;
  }
  const ip = ips[0];
  ctx.io.line(`PING ${target} (${ip}): 56 data bytes`);
  const t = await reach(ctx, c, ip);
  const times: number[] = [];
  for (let seq = 0; seq < count; seq++) {
    if (seq > 0) await sleep(scaled(ctx, 1000));
    if (t) {
      const ms = 0.9 + Math.random() * 1.5;
      times.push(ms);
      ctx.io.line(`64 bytes from ${ip}: seq=${seq} ttl=64 time=${ms.toFixed(3)} ms`);
    }
  }
  if (!t) await sleep(scaled(ctx, wait * 1000));
  const recv = times.length;
  ctx.io.line(`\n--- ${target} ping statistics ---`);
  ctx.io.line(
    `${count} packets transmitted, ${recv} packets received, ${Math.round(((count - recv) * 100) / count)}% packet loss`,
  );
  if (recv > 0) {
    const min = Math.min(...times);
    const max = Math.max(...times);
    const avg = times.reduce((a, b) => a + b, 0) / recv;
    ctx.io.line(`round-trip min/avg/max = ${min.toFixed(3)}/${avg.toFixed(3)}/${max.toFixed(3)} ms`);
    return 0;
  }
  return 1;
}

async function nslookup(ctx: Ctx, c: ContainerRecord, name: string | undefined): Promise<number> {
  if (!name) {
    ctx.io.errLine(
      "BusyBox v1.36.1 multi-call binary.\n\nUsage: nslookup [-type=QUERY_TYPE] [-debug] HOST [DNS_SERVER]",
    );
    return 1;
  }
  const ns = c.HostConfig.Dns[0] ?? "127.0.0.11";
  if (!usesWeaveDns(c)) {
    ctx.io.line(";; connection timed out; no servers could be reached\n");
    return 1;
  }
  const r = await weaveDnsLookup(ctx, name);
  if (!r) {
    ctx.io.line(";; connection timed out; no servers could be reached\n");
    return 1;
  }
  let s = `Server:\t\t${ns}\nAddress:\t${ns}:53\n\n`;
  if (r.rcode === 3) {
    ctx.io.out(s + `** server can't find ${name}: NXDOMAIN\n\n`);
    return 1;
  }
  s += "\n";
  for (const ip of r.ips) s += `Name:\t${name}\nAddress: ${ip}\n`;
  ctx.io.out(s + "\n");
  return 0;
}

async function wget(ctx: Ctx, c: ContainerRecord, args: string[]): Promise<number> {
  const url = args.find((a) => /^https?:\/\//.test(a));
  if (!url) {
    ctx.io.errLine("BusyBox v1.36.1 multi-call binary.\n\nUsage: wget [-cqS] [-O FILE] URL...");
    return 1;
  }
  const m = /^https?:\/\/([^/:]+)(?::(\d+))?(\/.*)?$/.exec(url);
  const hostName = m?.[1] ?? "";
  const urlPath = m?.[3] ?? "/";
  const ips = await resolve(ctx, c, hostName);
  if (!ips) {
    ctx.io.errLine(`wget: bad address '${hostName}'`);
    return 1;
  }
  const t = await reach(ctx, c, ips[0]);
  if (!t) {
    await sleep(scaled(ctx, 3000));
    ctx.io.errLine(`wget: can't connect to remote host (${ips[0]}): Connection timed out`);
    return 1;
  }
  if (!("c" in t) || !imageMeta(t.c.Config.Image).serves) {
    ctx.io.errLine(`wget: can't connect to remote host (${ips[0]}): Connection refused`);
    return 1;
  }
  if (urlPath !== "/cgi-bin/host") {
    ctx.io.errLine("wget: server returned error: HTTP/1.0 404 Not Found");
    return 1;
  }
  let body = `hostname: ${t.c.Config.Hostname}\nlo 127.0.0.1/8\n`;
  if (t.c.NetworkSettings.IPAddress) body += `eth0 ${t.c.NetworkSettings.IPAddress}/16\n`;
  for (const cidr of t.c.Weave?.Cidrs ?? []) body += `ethwe ${cidr}\n`;
  ctx.io.out(body);
  return 0;
}

const SHELLS = new Set(["sh", "ash", "bash", "dash"]);
/** busybox applets the double runs that end by themselves (a container running one exits). */
const SHORT = new Set([
  "true",
  "false",
  "echo",
  "hostname",
  "ip",
  "nslookup",
  "getent",
  "ping",
  "wget",
  "curl",
  "cat",
  "env",
  "printenv",
  "exit",
  "uname",
  "id",
  "ls",
  "date",
]);
/** A shell script that ends in (or loops around) a program that runs until stopped. */
const LONG_SCRIPT =
  /(?:^|[\s;&|(])(?:exec\s+)?(?:sleep\s+(?!0(?:\s|$|;))\S+|httpd|nginx|redis-server|tail\s+-f|while\s+(?:true|:))/;

/**
 * Whether a detached container running `argv` stays up (its process does not end by itself), as
 * real Docker would have it: servers and `sleep N` stay; busybox applets that finish, and shells
 * (no stdin without `-t`, or a `-c` script without a long-running program), exit at once.
 * Programs the double does not know are taken to be servers.
 */
export function keepsRunning(argv: readonly string[]): boolean {
  const prog = (argv[0] ?? "").split("/").pop() ?? "";
  if (SHELLS.has(prog)) return argv[1] === "-c" && LONG_SCRIPT.test(argv[2] ?? "");
  if (prog === "sleep") return argv[1] !== undefined && argv[1] !== "0";
  if (prog === "tail") return argv.includes("-f") || argv.includes("-F");
  return !SHORT.has(prog);
}

/**
 * `sh -c <script>`: enough of a shell for a container's command — statements split on `;`, `&&`
 * and newlines, each run as a command here, `exit N` ends it. Words are not expanded.
 */
async function shellScript(ctx: Ctx, c: ContainerRecord, script: string): Promise<number> {
  let code = 0;
  for (const stmt of script.split(/;|&&|\n/)) {
    const words = stmt.trim().split(/\s+/).filter(Boolean);
    if (words.length === 0) continue;
    if (words[0] === "exit") return words[1] !== undefined ? Number(words[1]) || 0 : code;
    if (words[0] === "exec") return execInContainer(ctx, c, words.slice(1));
    if (words[0] === "echo" && (words.at(-1) === ">&2" || words.at(-1) === "1>&2")) {
      ctx.io.errLine(words.slice(1, -1).join(" "));
      code = 0;
      continue;
    }
    code = await execInContainer(ctx, c, words);
  }
  return code;
}

/** Run one command "inside" container `c`; returns its exit code. */
export async function execInContainer(ctx: Ctx, c: ContainerRecord, argv: string[]): Promise<number> {
  const [cmd, ...args] = argv;
  const io = ctx.io;
  switch (cmd) {
    case "ip": {
      const v4 = args.includes("-4");
      const rest = args.filter((a) => a !== "-4");
      if (rest[0] === "addr" || rest[0] === "a" || rest[0] === "address") {
        let dev: string | undefined;
        if (rest[1] === "show" || rest[1] === "list") dev = rest[2] === "dev" ? rest[3] : rest[2];
        const r = ipAddr(c, v4, dev);
        io.out(r.out);
        io.err(r.err);
        return r.code;
      }
      io.errLine(`ip: the double knows only 'ip addr'`);
      return 1;
    }
    case "cat": {
      let code = 0;
      for (const f of args) {
        if (f === "/etc/resolv.conf") io.out(resolvConf(c));
        else if (f === "/etc/hosts") io.out(etcHosts(c));
        else if (f === "/etc/hostname") io.line(c.Config.Hostname);
        else if (f === "/sys/class/net/ethwe/address" && c.Weave) io.line(c.Weave.Mac);
        else {
          io.errLine(`cat: can't open '${f}': No such file or directory`);
          code = 1;
        }
      }
      return code;
    }
    case "hostname":
      io.line(
        args[0] === "-f" && c.Config.Domainname
          ? `${c.Config.Hostname}.${c.Config.Domainname}`
          : c.Config.Hostname,
      );
      return 0;
    case "nslookup":
      return nslookup(
        ctx,
        c,
        args.find((a) => !a.startsWith("-")),
      );
    case "getent": {
      if (imageMeta(c.Config.Image).busybox) return notFound(ctx, cmd);
      if (args[0] !== "hosts" || !args[1]) return 2;
      const ips = await resolve(ctx, c, args[1]);
      if (!ips) return 2;
      for (const ip of ips) io.line(`${ip.padEnd(15)} ${args[1]}`);
      return 0;
    }
    case "ping":
      return ping(ctx, c, args);
    case "wget":
    case "curl":
      return wget(ctx, c, args);
    case "true":
      return 0;
    case "false":
      return 1;
    case "echo":
      io.line(args.join(" "));
      return 0;
    case "sleep":
      await sleep(Number(args[0] ?? 0) * 1000);
      return 0;
    case "sh":
    case "/bin/sh":
    case "ash":
    case "bash":
      // Without `-c` a shell reads its stdin, which `docker exec` without `-i` closes at once.
      return args[0] === "-c" ? shellScript(ctx, c, args[1] ?? "") : 0;
    default:
      return notFound(ctx, cmd);
  }
}

/**
 * Docker 20.10's answer when the program is not in the container, as Debian's docker.io 20.10.24
 * (runc 1.1) gives it on the real-Weave DinD hosts: on stdout, not stderr, exit 126.
 */
function notFound(ctx: Ctx, cmd: string): number {
  ctx.io.line(
    `OCI runtime exec failed: exec failed: unable to start container process: exec: "${cmd}": executable file not found in $PATH: unknown`,
  );
  return 126;
}
