/**
 * Runs router doubles in-process on loopback for tests: router N of a lab listens on
 * `127.<net>.0.N` (mesh on `port`, HTTP on `port+1`, status on `port+2`, DNS on `port+3`), so
 * several routers share one machine the way lab hosts share one port number.
 */
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { parseRouterArgs } from "./args";
import { startHttp } from "./http";
import { Router } from "./router";

export interface Handle {
  router: Router;
  servers: http.Server[];
  home: string;
  ip: string;
  /** `ip:port` of the HTTP API. */
  api: string;
  fatal?: number;
  stop(): Promise<void>;
}

export interface LaunchOptions {
  net: number;
  index: number;
  port: number;
  args: string[];
  password?: string;
  home?: string;
  checkpointDisabled?: boolean;
  alive?: (id: string) => boolean;
  destroyed?: (id: string) => boolean;
  deadGraceMs?: number;
}

const homes: string[] = [];

export function tempHome(): string {
  const h = fs.mkdtempSync(path.join(os.tmpdir(), "weave-router-"));
  homes.push(h);
  return h;
}

/** Remove every home `tempHome` made (call from `afterAll`). */
export function removeHomes(): void {
  for (const h of homes.splice(0)) fs.rmSync(h, { recursive: true, force: true });
}

export function ipOf(net: number, index: number): string {
  return `127.${net}.0.${index}`;
}

export async function launch(o: LaunchOptions): Promise<Handle> {
  const ip = ipOf(o.net, o.index);
  const home = o.home ?? tempHome();
  const resolv = path.join(home, "resolv.conf");
  fs.writeFileSync(resolv, "nameserver 127.0.0.11\n");
  const argv = [
    "--port",
    String(o.port),
    "--host",
    ip,
    "--http-addr",
    `${ip}:${o.port + 1}`,
    "--status-addr",
    `${ip}:${o.port + 2}`,
    "--dns-listen-address",
    `${ip}:${o.port + 3}`,
    "--resolv-conf",
    resolv,
    "--plugin",
    "--proxy",
    ...o.args,
  ];
  const cfg = parseRouterArgs(argv, o.password ? { WEAVE_PASSWORD: o.password } : {});
  if ("fatal" in cfg) throw new Error(cfg.fatal);
  const router = new Router(cfg, {
    home,
    hostLabel: `h${o.index}`,
    checkpointDisabled: o.checkpointDisabled ?? true,
    version: "2.8.1",
    isAlive: o.alive ?? (() => true),
    ...(o.destroyed ? { isDestroyed: o.destroyed } : {}),
    deadGraceMs: o.deadGraceMs ?? 30_000,
  });
  const h: Handle = {
    router,
    servers: [],
    home,
    ip,
    api: `${ip}:${o.port + 1}`,
    stop: async () => {
      await router.stop();
      for (const s of h.servers) {
        s.closeAllConnections();
        await new Promise<void>((r) => s.close(() => r()));
      }
    },
  };
  router.onFatal = (code) => {
    h.fatal = code;
    void h.stop();
  };
  await router.start();
  h.servers = await startHttp(router);
  return h;
}

export interface HttpReply {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

export function call(
  api: string,
  method: string,
  pathAndQuery: string,
  opts: { headers?: Record<string, string>; form?: Record<string, string | string[]> } = {},
): Promise<HttpReply> {
  const [host, port] = api.split(":");
  let body: string | undefined;
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.form) {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.form))
      for (const x of Array.isArray(v) ? v : [v]) p.append(k, x);
    body = p.toString();
    headers["Content-Type"] = "application/x-www-form-urlencoded";
  }
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host, port: Number(port), method, path: pathAndQuery, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString("utf8"),
            headers: res.headers,
          }),
        );
      },
    );
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export async function until(what: string, fn: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function logOf(h: Handle): string {
  try {
    return fs.readFileSync(path.join(h.home, "weave.log"), "utf8");
  } catch {
    return "";
  }
}
