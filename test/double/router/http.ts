/**
 * The router's HTTP API (reference §7.2) on `--http-addr`, and the status subset on
 * `--status-addr`. Bodies have no trailing newline except the status templates and rmpeer.
 */
import * as crypto from "crypto";
import * as http from "http";
import { formatIp, parseCidr, parseCidrLoose, parseIp } from "./ip";
import {
  renderConnections,
  renderDns,
  renderIpam,
  renderPeers,
  renderReport,
  renderStatus,
  renderTargets,
  reportObject,
} from "./render";
import { Router } from "./router";
import { executeTemplate } from "./template";

interface Reply {
  status: number;
  body?: string;
  type?: string;
}

const text = (status: number, body: string): Reply => ({ status, body, type: "text/plain; charset=utf-8" });
const notFound = (): Reply => ({
  status: 404,
  body: "404 page not found\n",
  type: "text/plain; charset=utf-8",
});

function send(res: http.ServerResponse, r: Reply): void {
  const headers: Record<string, string> = { Date: new Date().toUTCString() };
  const body = r.body ?? "";
  if (body.length > 0 && r.type) headers["Content-Type"] = r.type;
  if (r.status === 404 || r.status === 400) headers["X-Content-Type-Options"] = "nosniff";
  headers["Content-Length"] = String(Buffer.byteLength(body));
  res.writeHead(r.status, headers);
  res.end(body);
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Form values from the query string and an urlencoded body (Go's `r.FormValue`). */
function form(url: URL, body: string): URLSearchParams {
  const p = new URLSearchParams(url.search);
  for (const [k, v] of new URLSearchParams(body)) p.append(k, v);
  return p;
}

function statusRoute(router: Router, sub: string): Reply {
  const snap = router.snapshot();
  const code = snap.ready ? 200 : 503;
  switch (sub) {
    case "":
      return text(code, renderStatus(snap));
    case "targets":
      return text(code, renderTargets(snap));
    case "connections":
      return text(code, renderConnections(snap));
    case "peers":
      return text(code, renderPeers(snap));
    case "ipam":
      if (!snap.ipam) return text(500, "error during template execution");
      return text(code, renderIpam(snap, router.reachableSet()));
    case "dns":
      if (!snap.dns) return text(500, "error during template execution");
      return text(code, renderDns(snap));
    default:
      return notFound();
  }
}

function reportRoute(router: Router, req: http.IncomingMessage, url: URL): Reply {
  if (req.headers.accept === "application/json")
    return { status: 200, body: renderReport(router.snapshot()), type: "application/json" };
  const formats = url.searchParams.getAll("format");
  if (formats.length !== 1) return text(400, "error: must supply one format parameter\n");
  const r = executeTemplate(formats[0], reportObject(router.snapshot()));
  return text(r.status, r.body);
}

/** Routes common to both listeners. */
function observe(router: Router, req: http.IncomingMessage, url: URL): Reply | undefined {
  const p = url.pathname;
  if (req.method !== "GET" && req.method !== "HEAD") return undefined;
  if (p === "/status") return statusRoute(router, "");
  if (p.startsWith("/status/")) return statusRoute(router, p.slice("/status/".length));
  if (p === "/report") return reportRoute(router, req, url);
  if (p === "/metrics") return text(200, metrics(router));
  return undefined;
}

function metrics(router: Router): string {
  const s = router.snapshot();
  const est = s.connections.filter((c) => c.State === "established").length;
  return `# HELP weave_connections Number of peer-to-peer connections.\n# TYPE weave_connections gauge\nweave_connections{state="established"} ${est}\nweave_max_ips ${s.ipam?.RangeNumIPs ?? 0}\n`;
}

/** The control API: everything the weave script calls. */
async function control(router: Router, req: http.IncomingMessage, url: URL): Promise<Reply> {
  const seen = observe(router, req, url);
  if (seen) return seen;
  const method = req.method ?? "GET";
  const parts = url.pathname.split("/").slice(1).map(decodeURIComponent);
  const body = await readBody(req);
  const f = form(url, body);
  const ipam = router.ipam;
  const checkAlive = f.get("check-alive") === "true";

  switch (parts[0]) {
    case "connect":
      if (method !== "POST") return text(405, "");
      {
        const errs = await router.connect(f.getAll("peer"), f.get("replace") === "true");
        return errs.length ? text(400, errs.join("\n")) : text(200, "");
      }
    case "forget":
      if (method !== "POST") return text(405, "");
      for (const p of f.getAll("peer")) router.forgetTarget(p);
      return text(200, "");
    case "expose":
      if (method !== "POST") return text(405, "");
      if (parts.length !== 3 || parseCidr(`${parts[1]}/${parts[2]}`) === undefined)
        return text(400, `invalid CIDR address: ${parts.slice(1).join("/")}`);
      return { status: 204 };
    case "peer":
      if (method !== "DELETE") return text(405, "");
      if (parts.length === 1) {
        router.resetPeer();
        return { status: 204 };
      }
      return text(200, router.rmpeer(parts.slice(1).join("/")));
    case "domain":
      if (!router.cfg.dns) return notFound();
      return text(200, router.cfg.dnsDomain);
    case "dns-address":
      if (!router.cfg.dns) return notFound();
      return text(200, router.cfg.dnsListen.split(":")[0]);
    case "dns-address-port":
      if (!router.cfg.dns) return notFound();
      return text(200, router.cfg.dnsListen);
    case "proxyaddrs":
      if (!router.cfg.proxy) return notFound();
      return text(200, router.cfg.proxyAddrs.map((a) => a + "\n").join(""));
    case "name":
      return nameRoute(router, method, parts, f);
    case "ipinfo":
      if (!ipam) return notFound();
      if (parts[1] === "defaultsubnet")
        return text(200, `${formatIp(ipam.defaultSubnet.start)}/${ipam.defaultSubnet.prefix}`);
      if (parts[1] === "tracker") return text(200, "\n");
      return notFound();
    case "ring":
      if (!ipam) return notFound();
      if (method !== "GET") return text(405, "");
      await new Promise<void>((resolve) => ipam.prime(resolve));
      return { status: 200 };
    case "ip":
      if (!ipam) return notFound();
      return ipRoute(router, method, parts, checkAlive);
    default:
      return notFound();
  }
}

async function ipRoute(router: Router, method: string, parts: string[], checkAlive: boolean): Promise<Reply> {
  const ipam = router.ipam!;
  if (parts.length === 1) {
    if (method !== "GET") return text(405, "");
    const owned = [...ipam.owned].map(([id, o]) => ({
      containerid: id,
      addrs: o.addrs.map((a) => `${formatIp(a.addr)}/${a.prefix}`),
    }));
    return {
      status: 200,
      body: JSON.stringify({ owned: owned.length ? owned : null }),
      type: "application/json",
    };
  }
  const ident = parts[1];
  const subnetOf = (
    ipText: string,
    len: string,
  ): { start: number; size: number; prefix: number } | string => {
    const c = parseCidr(`${ipText}/${len}`);
    if (!c) return `invalid CIDR address: ${ipText}/${len}`;
    if (c.hostBitsSet) return `invalid subnet - bits after network prefix are not all zero: ${ipText}/${len}`;
    if (c.size < 4) return `invalid subnet - smaller than minimum size 4: ${ipText}/${len}`;
    return c;
  };
  switch (method) {
    case "GET": {
      if (parts.length === 2) return text(200, ipam.lookup(ident).join(" "));
      const s = subnetOf(parts[2], parts[3] ?? "");
      if (typeof s === "string") return text(400, s);
      return text(200, ipam.lookup(ident, s).join(" "));
    }
    case "POST": {
      let subnet: { start: number; size: number; prefix: number } | undefined;
      if (parts.length >= 4) {
        const s = subnetOf(parts[2], parts[3]);
        if (typeof s === "string") return text(400, s);
        subnet = s;
      }
      if (checkAlive && !router.opts.isAlive(ident)) return text(200, "cancelled");
      const r = await new Promise<{ ok: true; cidr: string } | { ok: false; status: number; body: string }>(
        (resolve) => ipam.allocate(ident, subnet, checkAlive, resolve),
      );
      return r.ok ? text(200, r.cidr) : text(r.status, r.body);
    }
    case "PUT": {
      const c = parseCidrLoose(`${parts[2]}/${parts[3]}`);
      if (!c) return text(400, `invalid CIDR address: ${parts.slice(2).join("/")}`);
      const r = await new Promise<{ ok: true } | { ok: false; body: string }>((resolve) =>
        ipam.claim(ident, c.addr, c.prefix, checkAlive, resolve),
      );
      return r.ok ? { status: 204 } : text(400, r.body);
    }
    case "DELETE": {
      if (parts.length === 2) {
        const err = ipam.deleteIdent(ident);
        return err ? text(400, err) : { status: 204 };
      }
      if (parseIp(parts[2]) === undefined) return text(400, `invalid IP address: ${parts[2]}`);
      const err = ipam.free(ident, parts[2]);
      return err ? text(400, err) : { status: 204 };
    }
    default:
      return text(405, "");
  }
}

function nameRoute(router: Router, method: string, parts: string[], f: URLSearchParams): Reply {
  if (!router.cfg.dns) return notFound();
  const [, id, ip] = parts;
  if (ip !== undefined && parseIp(ip) === undefined) return text(400, `invalid IP Address: ${ip}`);
  if (method === "PUT") {
    const fqdn = f.get("fqdn");
    if (!id || !ip || !fqdn) return text(400, "missing fqdn");
    if (f.get("check-alive") === "true" && !router.opts.isAlive(id)) return { status: 204 };
    router.addName(id, ip, fqdn);
    return { status: 204 };
  }
  if (method === "DELETE") {
    router.deleteNames(id, ip, f.get("fqdn") ?? undefined);
    return { status: 204 };
  }
  if (method === "GET") {
    const entries = router.allDnsEntries().map((e) => ({
      ContainerID: e.cid,
      Origin: e.origin,
      Addr: e.ip,
      Hostname: e.hostname,
      Version: e.version,
      Tombstone: e.tombstone,
    }));
    return { status: 200, body: JSON.stringify(entries), type: "application/json" };
  }
  return text(405, "");
}

function listen(addr: string, handler: http.RequestListener): Promise<http.Server> {
  const i = addr.lastIndexOf(":");
  const host = addr.slice(0, i) || undefined;
  const port = Number(addr.slice(i + 1));
  return new Promise((resolve, reject) => {
    const server = http.createServer(handler);
    server.keepAliveTimeout = 1000;
    server.once("error", (e) => reject(new Error(`listen tcp ${addr}: bind: ${(e as Error).message}`)));
    server.listen(port, host, () => resolve(server));
  });
}

/** Start the control and status listeners; returns them so tests can close them. */
export async function startHttp(router: Router): Promise<http.Server[]> {
  const servers: http.Server[] = [];
  const wrap =
    (fn: (req: http.IncomingMessage, url: URL) => Promise<Reply> | Reply): http.RequestListener =>
    (req, res) => {
      const url = new URL(req.url ?? "/", "http://weave.local");
      Promise.resolve(fn(req, url))
        .then((r) => send(res, r))
        .catch((e: unknown) => send(res, text(500, String((e as Error).message))));
    };
  if (router.cfg.httpAddr) {
    servers.push(
      await listen(
        router.cfg.httpAddr,
        wrap((req, url) => control(router, req, url)),
      ),
    );
    router.log.info(`Listening for HTTP control messages on ${router.cfg.httpAddr}`);
  }
  if (router.cfg.statusAddr) {
    servers.push(
      await listen(
        router.cfg.statusAddr,
        wrap((req, url) => observe(router, req, url) ?? notFound()),
      ),
    );
    router.log.info(`Listening for status+metrics requests on ${router.cfg.statusAddr}`);
  }
  if (router.cfg.proxy || router.cfg.plugin) {
    router.log.info("Waiting for Weave API Server...");
    router.log.info("Finished waiting for Weave API Server");
  }
  if (router.cfg.plugin) {
    router.log.info("Listening on /run/docker/plugins/weave.sock for global scope");
    router.log.info("Listening on /run/docker/plugins/weavemesh.sock for local scope");
    router.log.info('Creating default "weave" network');
    if (router.ipam)
      router.log.info(
        `[ipam] RequestPool weavelocal ${formatIp(router.ipam.defaultSubnet.start)}/${router.ipam.defaultSubnet.prefix}  map[]`,
      );
    router.log.info(`[net] CreateNetwork ${randomHex(64)}`);
  }
  return servers;
}

function randomHex(n: number): string {
  return crypto
    .randomBytes(Math.ceil(n / 2))
    .toString("hex")
    .slice(0, n);
}
