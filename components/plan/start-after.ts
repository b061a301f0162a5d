/**
 * What a container or DNS record waits for before it is created: its own host's router, or the
 * consensus gate (every host agreeing on one ring). Pure, so the components and the test engine
 * order resources by the same rule.
 *
 * - `seed` mode: every router owns its predicted share from launch (the ring is in its launch
 *   arguments), so `weave attach` of an address the host itself owns is served at once. A
 *   container whose address comes from its host's own share, or lies outside the range (local
 *   only), starts as soon as that router runs. One whose address another peer owns would need
 *   that peer connected (a claim gives up after about 25 s), so it waits for the gate.
 * - `consensus` mode: the ring forms only once enough peers agree: everything waits for the gate.
 * - DNS records (`weave dns-add`) need no ring: their host's router, in either mode.
 */
import type { ContainerPlan, HostPlan, LabPlan } from "../model/plan";
import { containsIp, overlaps, parseCidr, type Cidr } from "./cidr";

export type StartAfter = { kind: "router"; host: string } | { kind: "gate"; why: string };

const cidr = (text: string): Cidr => {
  const r = parseCidr(text);
  if (!r.ok) throw new Error(`startAfter: ${r.reason}`);
  return r.value;
};

function ownShare(h: HostPlan): Cidr[] {
  return (h.predictedShare ?? []).map((s) => cidr(s.cidr));
}

/** What the container `c` of `plan` waits for. */
export function containerStartsAfter(plan: LabPlan, c: ContainerPlan): StartAfter {
  if (plan.network.bootstrap !== "seed")
    return { kind: "gate", why: "consensus mode: no ring before the peers agree" };
  const host = plan.hosts.find((h) => h.name === c.host);
  if (!host) return { kind: "gate", why: `no host ${c.host} in the plan` };
  const a = c.addressing;
  if (a.kind === "static" && !a.insideRange) return { kind: "router", host: c.host };
  // The host's own share must hold the address (static) or meet the subnet (dynamic, subnet).
  const share = ownShare(host);
  const own =
    a.kind === "static"
      ? share.some((s) => containsIp(s, cidr(a.cidr).addr))
      : share.some((s) => overlaps(s, cidr(a.subnet)));
  return own
    ? { kind: "router", host: c.host }
    : { kind: "gate", why: `${c.key}'s address is not in ${c.host}'s own share of the range` };
}
