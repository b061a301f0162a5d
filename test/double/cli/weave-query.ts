/** The `weave` double's queries of a running router: version, env/config, connect, status, report, dns-args. */
import { callWeave, Ctx, httpCall } from "./weavecore";
import { usage } from "./weave-usage";
import { images } from "./weave-launch";

/** Print a 2xx body and pass the call's code on (the script's `set -e` tail call). */
export function emit(ctx: Ctx, r: { code: number; body: string }): number {
  ctx.io.out(r.body);
  return r.code;
}

export async function version(ctx: Ctx, rest: string[]): Promise<number> {
  if (rest.length !== 0) usage(ctx);
  const r = await httpCall(ctx, "GET", `/report?format=${encodeURIComponent("{{ .Version }}")}`);
  // With no router, the script asks the weaver binary inside weaveexec.
  ctx.io.line(`weave ${r.code === 0 ? r.body : images(ctx).version}`);
  return 0;
}

/** `proxy_addr`: the proxy's first address from the router, with 0.0.0.0 made reachable. */
export async function proxyAddr(ctx: Ctx, quiet = false): Promise<string | undefined> {
  const r = await callWeave(ctx, "GET", "/proxyaddrs", { quiet });
  if (r.code !== 0 || !r.body) return undefined;
  const proxyHost = ctx.env.PROXY_HOST || "127.0.0.1";
  return r.body.replace(/0\.0\.0\.0/g, proxyHost).split("\n")[0];
}

export async function envConfig(ctx: Ctx, cmd: "env" | "config"): Promise<number> {
  const addr = await proxyAddr(ctx);
  if (cmd === "config") {
    if (addr === undefined) return 1;
    ctx.io.line(`-H=${addr}`);
    return 0;
  }
  if (addr !== undefined) {
    const client = ctx.env.DOCKER_CLIENT_HOST ?? ctx.env.DOCKER_HOST ?? "";
    const restore = addr === client ? "" : `ORIG_DOCKER_HOST=${client}`;
    ctx.io.line(`export DOCKER_HOST=${addr} ${restore}`);
  }
  return 0;
}

export async function connect(ctx: Ctx, args: string[]): Promise<number> {
  if (args.length === 0) usage(ctx);
  const form: Array<[string, string]> = [];
  let peers = args;
  if (peers[0] === "--replace") {
    form.push(["replace", "true"]);
    peers = peers.slice(1);
  }
  for (const p of peers) form.push(["peer", p]);
  return emit(ctx, await callWeave(ctx, "POST", "/connect", { form }));
}

export async function status(ctx: Ctx, args: string[]): Promise<number> {
  const sub = args.length > 0;
  if (!sub) ctx.io.line("");
  const r = await callWeave(ctx, "GET", ["/status", ...args].join("/"));
  ctx.io.out(r.body);
  if (r.code === 4) {
    ctx.io.errLine(`Invalid 'weave status' sub-command: ${args.join(" ")}`);
    usage(ctx);
  }
  if (!sub) ctx.io.line("");
  return r.code === 0 ? 0 : 1;
}

export async function report(ctx: Ctx, args: string[]): Promise<number> {
  if (args.length > 0) {
    if (!(args.length === 2 && args[0] === "-f")) usage(ctx);
    return emit(ctx, await callWeave(ctx, "GET", `/report?format=${encodeURIComponent(args[1])}`));
  }
  return emit(ctx, await callWeave(ctx, "GET", "/report", { headers: { Accept: "application/json" } }));
}

export async function dnsArgs(ctx: Ctx): Promise<number> {
  const d = await callWeave(ctx, "GET", "/domain", { quiet: true });
  if (d.code === 4) return 0;
  if (d.code !== 0) return d.code;
  const a = await callWeave(ctx, "GET", "/dns-address", { quiet: true });
  if (a.code !== 0) return a.code;
  // Real 2.8.1 prints the domain as the router reports it, with its trailing dot (fixture 08, and
  // the DinD hosts CI runs); Docker drops the dot when it writes resolv.conf (`search weave.local`).
  ctx.io.out(`--dns=${a.body} --dns-search=${d.body || "weave.local."}`);
  return 0;
}
