/**
 * What Weave's Docker API proxy does to a container it starts (§9.4, §9.6): attach it to the
 * Weave network with the addresses of its `WEAVE_CIDR` (default subnet when absent, nothing for
 * `none`) and register `hostname.domainname` in weaveDNS. Used by the docker double's proxy mode
 * and, after a router start, to re-attach running proxy containers (fixture 16: the proxy gives
 * a still-running container a new address when the router comes back).
 */
import { ContainerRecord, findContainer, listContainers } from "../state";
import { attachInterface, containerFqdn, Ctx, ipamCidrs, putDnsFqdn, weaveArgs } from "./weavecore";

/** The container's `WEAVE_CIDR`, if set. */
export function weaveCidrOf(env: string[]): string | undefined {
  return env.find((e) => e.startsWith("WEAVE_CIDR="))?.slice("WEAVE_CIDR=".length);
}

/** DNS registration is on unless the router runs without DNS or the proxy without it. */
export function proxyDnsOn(ctx: Ctx): boolean {
  const a = weaveArgs(ctx) ?? [];
  return !a.includes("--no-dns") && !a.includes("--without-dns");
}

/** Attach one container as the proxy does; an error message, or undefined on success. */
export async function proxyAttach(
  ctx: Ctx,
  id: string,
  weaveCidr: string | undefined,
): Promise<string | undefined> {
  const cidrArgs = (weaveCidr ?? "")
    .split(/\s+/)
    .filter(Boolean)
    .map((a) => a.replace(/^ip:/, ""));
  const r = await ipamCidrs(ctx, "allocate", id, cidrArgs);
  if ("code" in r) return `Weave IPAM failed for ${id}`;
  const att = attachInterface(ctx, id, r.all);
  if (!att.ok) return att.message;
  const c = findContainer(ctx.home, id);
  const fqdn = c ? containerFqdn(c) : undefined;
  if (proxyDnsOn(ctx) && fqdn) await putDnsFqdn(ctx, id, fqdn, r.all, true);
  return undefined;
}

/** Running containers the proxy started (weavewait entrypoint) that have lost their `ethwe`. */
export function detachedProxyContainers(ctx: Ctx): ContainerRecord[] {
  return listContainers(ctx.home).filter(
    (c) =>
      c.State.Status === "running" &&
      !c.Weave &&
      c.Config.Entrypoint?.[0] === "/w/w" &&
      weaveCidrOf(c.Config.Env) !== "none",
  );
}

/** Re-attach every such container, oldest first (as the proxy walks Docker's list). */
export async function reattachProxyContainers(ctx: Ctx): Promise<void> {
  for (const c of detachedProxyContainers(ctx).reverse())
    await proxyAttach(ctx, c.Id, weaveCidrOf(c.Config.Env));
}
