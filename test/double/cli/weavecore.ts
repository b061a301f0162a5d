/**
 * The parts of the Weave 2.8.1 script that both CLI doubles need: calling the router the way
 * `http_call`/`call_weave` do (same exit codes, same stream for each answer), container state
 * checks, IPAM address collection (`ipam_cidrs`), attaching a container's `ethwe` and DNS
 * registration. The docker double's proxy mode uses the same attach path as `weave attach`, as
 * the real proxy and script share the router API.
 */
import {
  ContainerRecord,
  DoubleConfig,
  findContainer,
  listContainers,
  randomMac,
  readConfig,
  saveContainer,
  withLock,
} from "../state";
import { HttpOutcome, Io, routerRequest } from "./io";

/** Everything one command needs to know about where it runs. */
export interface Ctx {
  io: Io;
  home: string;
  host: string;
  env: NodeJS.ProcessEnv;
  cfg: DoubleConfig;
  /** `WEAVE_HTTP_ADDR` or 127.0.0.1:6784. */
  httpAddr: string;
  /** `WEAVE_CONTAINER_NAME` or `weave`. */
  containerName: string;
}

export function makeCtx(io: Io, home: string, env: NodeJS.ProcessEnv): Ctx {
  return {
    io,
    home,
    host: env.WEAVE_DOUBLE_HOST ?? "localhost",
    env,
    cfg: readConfig(home),
    httpAddr: env.WEAVE_HTTP_ADDR || "127.0.0.1:6784",
    containerName: env.WEAVE_CONTAINER_NAME || "weave",
  };
}

/** The docker0 address the double's hosts pretend to have (fixtures: 172.17.0.1/16). */
export const DOCKER_BRIDGE_IP = "172.17.0.1";
export const PROXY_SOCKET = "unix:///var/run/weave/weave.sock";

/** `http_call`: 2xx → body on stdout (returned), 404 → 4, other → body on stderr and 1, no connection → curl's code. */
export interface CallResult {
  code: number;
  /** Body of a 2xx answer. */
  body: string;
  /** What the call would print on stderr. */
  errText: string;
}

function fromOutcome(o: HttpOutcome): CallResult {
  if (o.kind === "curl") return { code: o.code, body: "", errText: o.message + "\n" };
  if (o.status >= 200 && o.status < 300) return { code: 0, body: o.body, errText: "" };
  if (o.status === 404) return { code: 4, body: "", errText: "" };
  return { code: 1, body: "", errText: o.body };
}

export async function httpCall(
  ctx: Ctx,
  method: string,
  urlPath: string,
  opts: { form?: Array<[string, string]>; headers?: Record<string, string> } = {},
): Promise<CallResult> {
  return fromOutcome(await routerRequest(ctx.httpAddr, method, urlPath, opts));
}

/** The state word `weaveutil container-state` prints, or undefined when there is no such container. */
export function containerState(ctx: Ctx, name: string): string | undefined {
  const c = findContainer(ctx.home, name);
  return c?.State.Status;
}

/** `check_running`: 0 running, 1 absent, 2 other state; messages on stderr unless quiet. */
export function checkRunning(ctx: Ctx, name: string, quiet = false): number {
  const st = containerState(ctx, name);
  const say = (s: string): void => {
    if (!quiet) ctx.io.errLine(s);
  };
  if (st === undefined) {
    say(`${name} container is not present. Have you launched it?`);
    return 1;
  }
  if (st === "restarting") {
    say(`${name} container is restarting.`);
    return 2;
  }
  if (st !== "running") {
    say(`${name} container is not running.`);
    return 2;
  }
  return 0;
}

/** `call_weave`: like {@link httpCall}, but on failure says why the router did not answer. */
export async function callWeave(
  ctx: Ctx,
  method: string,
  urlPath: string,
  opts: { form?: Array<[string, string]>; headers?: Record<string, string>; quiet?: boolean } = {},
): Promise<CallResult> {
  const r = await httpCall(ctx, method, urlPath, opts);
  if (r.code !== 0 && !opts.quiet) {
    if (checkRunning(ctx, ctx.containerName) === 0) ctx.io.err(r.errText);
  }
  return r;
}

const IP_RE = /^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$/;
const CIDR_RE = /^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\/[0-9]{1,2}$/;

export const isIp = (s: string): boolean => IP_RE.test(s);
export const isCidr = (s: string): boolean => CIDR_RE.test(s);

/** `collect_cidr_args`: leading address arguments (`ip:` stripped), and how many were taken. */
export function collectCidrArgs(args: string[]): { cidrs: string[]; count: number } {
  const cidrs: string[] = [];
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i];
    if (a === "net:default" || isCidr(a) || isCidr(a.replace(/^ip:/, "")) || isCidr(a.replace(/^net:/, ""))) {
      cidrs.push(a.replace(/^ip:/, ""));
    } else break;
  }
  return { cidrs, count: i };
}

/** Addresses as `ipam_cidrs` leaves them: all of them, and those IPAM handed out. */
export interface Cidrs {
  all: string[];
  ipam: string[];
}

/**
 * `ipam_cidrs allocate|lookup`: ask the router for `net:` addresses (blocking, like the real
 * call, while there is no ring), claim plain ones. Returns a non-zero code to exit with on failure.
 */
export async function ipamCidrs(
  ctx: Ctx,
  mode: "allocate" | "lookup",
  containerId: string,
  args: string[],
): Promise<Cidrs | { code: number }> {
  const method = mode === "lookup" ? "GET" : "POST";
  const checkAlive = mode === "allocate" ? "?check-alive=true" : "";
  const out: Cidrs = { all: [], ipam: [] };
  const list = args.length > 0 ? args : ["net:default"];
  for (const arg of list) {
    if (arg.startsWith("net:")) {
      const url = arg === "net:default" ? `/ip/${containerId}` : `/ip/${containerId}/${arg.slice(4)}`;
      const r = await callWeave(ctx, method, url + checkAlive);
      if (r.code === 4 && method === "POST") {
        ctx.io.errLine("IP address allocation must be enabled to use 'net:'");
        return { code: 1 };
      }
      if (r.code > 0) return { code: r.code };
      // A lookup may answer several addresses, space-separated, or nothing.
      for (const c of r.body.split(/\s+/).filter(Boolean)) {
        out.ipam.push(c);
        out.all.push(c);
      }
    } else {
      if (method === "POST" && checkRunning(ctx, ctx.containerName, true) === 0) {
        const r = await httpCall(ctx, "PUT", `/ip/${containerId}/${arg}${checkAlive}`);
        if (r.code !== 0 && r.code !== 4) {
          ctx.io.err(r.errText);
          return { code: 1 };
        }
      }
      out.all.push(arg);
    }
  }
  return out;
}

/** `show_addrs`: addresses without prefix, space-separated. */
export function showAddrs(cidrs: string[]): string {
  return cidrs.map((c) => c.replace(/\/.*$/, "")).join(" ");
}

/** The FQDN `weaveutil container-fqdn` reports, when the hostname has a domain part. */
export function containerFqdn(c: ContainerRecord): string | undefined {
  const fqdn = c.Config.Domainname ? `${c.Config.Hostname}.${c.Config.Domainname}` : c.Config.Hostname;
  const first = fqdn.split(".")[0];
  if (first === fqdn || `${first}.` === fqdn) return undefined;
  return fqdn;
}

/** `put_dns_fqdn`: register the name for each address; router errors are ignored (`|| true`). */
export async function putDnsFqdn(
  ctx: Ctx,
  id: string,
  fqdn: string,
  cidrs: string[],
  checkAlive: boolean,
): Promise<void> {
  for (const c of cidrs) {
    const form: Array<[string, string]> = [["fqdn", fqdn]];
    if (checkAlive) form.push(["check-alive", "true"]);
    await callWeave(ctx, "PUT", `/name/${id}/${c.replace(/\/.*$/, "")}`, { form });
  }
}

/**
 * `weaveutil attach-container`: give the container an `ethwe` (new MAC on first attach) holding
 * these addresses; addresses already there are kept once.
 */
export function attachInterface(
  ctx: Ctx,
  id: string,
  cidrs: string[],
): { ok: true } | { ok: false; message: string } {
  return withLock(ctx.home, () => {
    const c = findContainer(ctx.home, id);
    if (!c) return { ok: false, message: `unable to inspect container ${id}: No such container: ${id}` };
    if (c.State.Status !== "running") return { ok: false, message: `container ${id} not running` };
    if (c.HostConfig.NetworkMode === "host") {
      return {
        ok: false,
        message:
          "Container is running in the host network namespace, and therefore cannot be\nconnected to weave - perhaps the container was started with --net=host",
      };
    }
    const w = c.Weave ?? { Mac: randomMac(), Cidrs: [] };
    for (const cidr of cidrs) if (!w.Cidrs.includes(cidr)) w.Cidrs.push(cidr);
    c.Weave = w;
    saveContainer(ctx.home, c);
    return { ok: true };
  });
}

/** Remove addresses from `ethwe`; the interface goes when none remain. */
export function detachInterface(
  ctx: Ctx,
  id: string,
  cidrs: string[],
): { ok: true } | { ok: false; message: string } {
  return withLock(ctx.home, () => {
    const c = findContainer(ctx.home, id);
    if (!c) return { ok: false, message: `unable to inspect container ${id}: No such container: ${id}` };
    if (!c.Weave) return { ok: false, message: "Link not found" };
    for (const cidr of cidrs) {
      if (!c.Weave.Cidrs.includes(cidr)) {
        return {
          ok: false,
          message: 'failed to remove IP address from "ethwe": cannot assign requested address',
        };
      }
    }
    c.Weave.Cidrs = c.Weave.Cidrs.filter((x) => !cidrs.includes(x));
    if (c.Weave.Cidrs.length === 0) delete c.Weave;
    saveContainer(ctx.home, c);
    return { ok: true };
  });
}

/**
 * What `weave reset` does to containers: deleting the `vethwepl*` host ends removes every
 * container's `ethwe`.
 */
export function dropAllInterfaces(ctx: Ctx): void {
  withLock(ctx.home, () => {
    for (const c of listContainers(ctx.home)) {
      if (c.Weave) {
        delete c.Weave;
        saveContainer(ctx.home, c);
      }
    }
  });
}

/** Docker API the Weave distribution's helper speaks (G1: Engine ≥ 25 refuses 1.18). */
export function weaveClientApi(cfg: DoubleConfig, env: NodeJS.ProcessEnv = {}): string {
  // 2.8.1's weaveutil pins API 1.18; rajch's newer Docker client takes DOCKER_API_VERSION from
  // the environment (not verified against rajch's source here; the product assumes the same).
  if (cfg.weaveDistribution === "rajch") return env.DOCKER_API_VERSION || "1.24";
  return "1.18";
}

function apiLess(a: string, b: string): boolean {
  const [a1, a2] = a.split(".").map(Number);
  const [b1, b2] = b.split(".").map(Number);
  return a1 < b1 || (a1 === b1 && a2 < b2);
}

/**
 * G1: when the daemon's minimum API is above the one Weave's helper speaks, every docker-touching
 * weave command fails with the daemon's 400. Returns the message, or undefined when compatible.
 */
export function dockerApiRefusal(cfg: DoubleConfig, env: NodeJS.ProcessEnv = {}): string | undefined {
  const client = weaveClientApi(cfg, env);
  if (!apiLess(client, cfg.dockerMinApiVersion)) return undefined;
  return `unable to connect to docker: API error (400): client version ${client} is too old. Minimum supported API version is ${cfg.dockerMinApiVersion}, please upgrade your client to a newer version`;
}

/** The router args a running `weave` container was launched with (its docker Args). */
export function weaveArgs(ctx: Ctx): string[] | undefined {
  return findContainer(ctx.home, ctx.containerName)?.Args;
}

/** Last value of a flag in an argv (Go's flag package: the last occurrence wins). */
export function lastFlag(args: string[], names: string[]): string | undefined {
  let v: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    for (const n of names) {
      if (a === n && i + 1 < args.length) v = args[i + 1];
      else if (a.startsWith(`${n}=`)) v = a.slice(n.length + 1);
    }
  }
  return v;
}

/** Boolean Go flag (`--proxy`, `--proxy=false`): last occurrence wins; undefined when absent. */
export function boolFlag(args: string[], name: string): boolean | undefined {
  let v: boolean | undefined;
  for (const a of args) {
    if (a === name) v = true;
    else if (a === `${name}=true`) v = true;
    else if (a === `${name}=false`) v = false;
  }
  return v;
}
