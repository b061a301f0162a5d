/**
 * Builds a `RangeView` from a plan (the predicted split, before anything runs) or completes a
 * share list from CIDRs. Pure.
 */
import type { LabPlan, RangeShare } from "../model/plan";
import { intToIpv4, parseCidr, RangeView } from "./model";

/** A `RangeShare` from a CIDR (host bits masked). */
export function shareOf(cidr: string): RangeShare {
  const s = parseCidr(cidr);
  return {
    cidr: `${intToIpv4(s.first)}/${32 - Math.log2(s.size)}`,
    start: intToIpv4(s.first),
    end: intToIpv4(s.last),
    size: s.size,
  };
}

/**
 * The predicted picture of a plan: each host's `predictedShare` (empty in consensus mode) and the
 * containers whose address is known before launch (static ones). Dynamic addresses appear only in
 * the verified view built from stack outputs.
 */
export function viewFromPlan(plan: LabPlan, title?: string): RangeView {
  return {
    range: plan.network.allocRange,
    title: title ?? `${plan.name}: predicted split of ${plan.network.allocRange}`,
    hosts: plan.hosts.map((h) => ({ name: h.name, peerName: h.peerName, shares: h.predictedShare ?? [] })),
    containers: plan.containers.flatMap((c) =>
      c.addressing.kind === "static"
        ? [{ name: c.name, host: c.host, ip: c.addressing.cidr.split("/")[0] }]
        : [],
    ),
  };
}
