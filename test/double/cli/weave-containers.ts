/** The `weave` double's container commands: attach, detach, dns-add/remove, dns-lookup, expose, hide, ps. */
import { ContainerRecord, findContainer, listContainers, readBridge, withLock, writeBridge } from "../state";
import { Exit } from "./io";
import { dnsQueryA } from "./net";
import {
  attachInterface,
  callWeave,
  checkRunning,
  collectCidrArgs,
  containerFqdn,
  Ctx,
  detachInterface,
  ipamCidrs,
  isIp,
  putDnsFqdn,
  showAddrs,
} from "./weavecore";
import { usage } from "./weave-usage";

/** `util_op container-id`: the full id, or the inspect error and exit 1. */
function containerId(ctx: Ctx, ref: string): string {
  const c = findContainer(ctx.home, ref);
  if (!c) {
    ctx.io.errLine(`unable to inspect container ${ref}: No such container: ${ref}`);
    throw new Exit(1);
  }
  return c.Id;
}

export async function attach(ctx: Ctx, argv: string[]): Promise<number> {
  const { cidrs, count } = collectCidrArgs(argv);
  let args = argv.slice(count);
  let withoutDns = false;
  while (args.length > 0) {
    const a = args[0];
    if (a === "--without-dns") withoutDns = true;
    else if (a === "--rewrite-hosts" || a === "--no-multicast-route" || a.startsWith("--add-host=")) {
      // Accepted; the double's /etc/hosts view does not model these.
    } else if (a === "--add-host") args = args.slice(1);
    else break;
    args = args.slice(1);
  }
  if (args.length !== 1) usage(ctx);
  const id = containerId(ctx, args[0]);
  const r = await ipamCidrs(ctx, "allocate", id, cidrs);
  if ("code" in r) return r.code;
  const att = attachInterface(ctx, id, r.all);
  if (!att.ok) {
    ctx.io.errLine(att.message);
    return 1;
  }
  if (!withoutDns && checkRunning(ctx, ctx.containerName, true) === 0) {
    const c = findContainer(ctx.home, id);
    const fqdn = c ? containerFqdn(c) : undefined;
    if (fqdn) await putDnsFqdn(ctx, id, fqdn, r.all, true);
  }
  ctx.io.line(showAddrs(r.all));
  return 0;
}

export async function detach(ctx: Ctx, argv: string[]): Promise<number> {
  const { cidrs, count } = collectCidrArgs(argv);
  const args = argv.slice(count);
  if (args.length !== 1) usage(ctx);
  const id = containerId(ctx, args[0]);
  const r = await ipamCidrs(ctx, "lookup", id, cidrs);
  if ("code" in r) return r.code;
  const det = detachInterface(ctx, id, r.all);
  if (!det.ok) {
    ctx.io.errLine(det.message);
    return 1;
  }
  if (checkRunning(ctx, ctx.containerName, true) === 0) {
    const c = findContainer(ctx.home, id);
    const fqdn = c ? containerFqdn(c) : undefined;
    if (fqdn)
      for (const cidr of r.all)
        await callWeave(ctx, "DELETE", `/name/${id}/${cidr.replace(/\/.*$/, "")}?fqdn=${fqdn}`);
  }
  for (const cidr of r.ipam) {
    const d = await callWeave(ctx, "DELETE", `/ip/${id}/${cidr.replace(/\/.*$/, "")}`);
    if (d.code !== 0) return d.code;
  }
  ctx.io.line(showAddrs(r.all));
  return 0;
}

export async function dnsAddRemove(ctx: Ctx, cmd: "dns-add" | "dns-remove", argv: string[]): Promise<number> {
  let i = 0;
  const ips: string[] = [];
  while (i < argv.length && isIp(argv[i])) ips.push(argv[i++]);
  let rest = argv.slice(i);
  let cref: string | undefined;
  let fqdn: string | undefined;
  if (rest.length > 0 && rest[0] !== "-h") {
    cref = rest[0];
    rest = rest.slice(1);
  }
  if (rest.length === 2 && rest[0] === "-h") {
    fqdn = rest[1];
    rest = [];
  }
  if (!(rest.length === 0 && (cref !== undefined || (ips.length > 0 && fqdn !== undefined)))) usage(ctx);
  const w = checkRunning(ctx, ctx.containerName);
  if (w !== 0) return w;
  let id = "weave:extern";
  let addrs = ips;
  if (cref !== undefined) {
    const cr = checkRunning(ctx, cref);
    if (cr !== 0) return cr;
    id = containerId(ctx, cref);
    if (addrs.length === 0)
      addrs = (findContainer(ctx.home, id)?.Weave?.Cidrs ?? []).map((c) => c.replace(/\/.*$/, ""));
  }
  if (cmd === "dns-add") {
    const name =
      fqdn ??
      (cref !== undefined ? containerFqdn(findContainer(ctx.home, id) as ContainerRecord) : undefined);
    if (name) await putDnsFqdn(ctx, id, name, addrs, id !== "weave:extern");
  } else {
    for (const a of addrs) await callWeave(ctx, "DELETE", `/name/${id}/${a}${fqdn ? `?fqdn=${fqdn}` : ""}`);
  }
  return 0;
}

export async function dnsLookup(ctx: Ctx, args: string[]): Promise<number> {
  if (args.length !== 1) usage(ctx);
  const a = await callWeave(ctx, "GET", "/dns-address-port", { quiet: true });
  if (a.code !== 0) return a.code;
  const [host, port] = a.body.split(":");
  // `dig +short`: one address per line, nothing for an unknown name. In the namespace lab there
  // is no docker0, so the router double may answer on loopback instead (see the router's notes).
  let r = await dnsQueryA(host, Number(port || 53), args[0]);
  if (!r && host !== "127.0.0.1") r = await dnsQueryA("127.0.0.1", Number(port || 53), args[0]);
  if (!r) {
    ctx.io.line(";; connection timed out; no servers could be reached");
    return 9;
  }
  for (const ip of r.ips) ctx.io.line(ip);
  return 0;
}

export async function expose(ctx: Ctx, argv: string[]): Promise<number> {
  const { cidrs, count } = collectCidrArgs(argv);
  let args = argv.slice(count);
  let fqdn: string | undefined;
  let skipNat = "";
  while (args.length > 0) {
    if (args[0] === "-h") {
      if (fqdn !== undefined || args.length < 2) usage(ctx);
      fqdn = args[1];
      args = args.slice(1);
    } else if (args[0] === "--without-masquerade") skipNat = "?skipNAT=true";
    else break;
    args = args.slice(1);
  }
  if (args.length !== 0) usage(ctx);
  const r = await ipamCidrs(ctx, "allocate", "weave:expose", cidrs);
  if ("code" in r) return r.code;
  for (const cidr of r.all) {
    const e = await callWeave(ctx, "POST", `/expose/${cidr}${skipNat}`);
    if (e.code !== 0) return e.code;
    withLock(ctx.home, () => {
      const b = readBridge(ctx.home);
      if (b && !b.Cidrs.includes(cidr)) writeBridge(ctx.home, { ...b, Cidrs: [...b.Cidrs, cidr] });
    });
    if (fqdn && checkRunning(ctx, ctx.containerName, true) === 0)
      await putDnsFqdn(ctx, "weave:expose", fqdn, [cidr], false);
  }
  ctx.io.line(showAddrs(r.all));
  return 0;
}

export async function hide(ctx: Ctx, argv: string[]): Promise<number> {
  const { cidrs } = collectCidrArgs(argv);
  const r = await ipamCidrs(ctx, "lookup", "weave:expose", cidrs);
  if ("code" in r) return r.code;
  for (const cidr of r.all) {
    const b = readBridge(ctx.home);
    if (b?.Cidrs.includes(cidr)) {
      withLock(ctx.home, () => writeBridge(ctx.home, { ...b, Cidrs: b.Cidrs.filter((x) => x !== cidr) }));
      if (checkRunning(ctx, ctx.containerName, true) === 0)
        await callWeave(ctx, "DELETE", `/name/weave:expose/${cidr.replace(/\/.*$/, "")}`);
    }
  }
  for (const cidr of r.ipam) {
    const d = await callWeave(ctx, "DELETE", `/ip/weave:expose/${cidr.replace(/\/.*$/, "")}`);
    if (d.code !== 0) return d.code;
  }
  ctx.io.line(showAddrs(r.all));
  return 0;
}

/** `weaveutil container-addrs` + `echo_addresses`. */
export function ps(ctx: Ctx, refs: string[]): number {
  const bridge = readBridge(ctx.home);
  if (!bridge) {
    ctx.io.errLine("Link not found");
    return 1;
  }
  const lines: string[] = [];
  const fmt = (idOrName: string, mac: string, cidrs: string[]): string =>
    [idOrName.slice(0, 12), mac, ...cidrs].join(" ");
  const wanted = refs.length === 0 ? ["weave:expose", "weave:allids"] : refs;
  for (const ref of wanted) {
    if (ref === "weave:expose") lines.push(fmt("weave:expose", bridge.Mac, bridge.Cidrs));
    else if (ref === "weave:allids") {
      for (const c of listContainers(ctx.home))
        if (c.State.Status === "running" && c.Weave) lines.push(fmt(c.Id, c.Weave.Mac, c.Weave.Cidrs));
    } else {
      const c = findContainer(ctx.home, ref);
      if (c && c.State.Status === "running" && c.Weave) lines.push(fmt(ref, c.Weave.Mac, c.Weave.Cidrs));
    }
  }
  // `echo "$ADDRS" | while read …` runs once even when there is nothing: one empty line.
  ctx.io.out(lines.length === 0 ? "\n" : lines.map((l) => l + "\n").join(""));
  return 0;
}
