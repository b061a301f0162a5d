/**
 * The readable form of `weave-lab status`: per host the router, its peers and connections, the
 * range it owns against the prediction, its containers and DNS entries; then the drift and the
 * verdict's problems; then (with `--verify`) the data-plane matrix. Pure text.
 */
import { columns } from "../cli/render";
import type { LabStatus } from "./compare";
import { renderMatrix, type DataPlaneMatrix } from "../providers/dataplane-matrix";

/** The status as `weave-lab status` prints it (ends with a newline). */
export function renderStatus(s: LabStatus, matrix?: DataPlaneMatrix): string {
  const out: string[] = [];
  const verdict =
    s.exitCode === 0
      ? "healthy and as specified"
      : s.exitCode === 2
        ? "incomplete: some hosts could not be reached"
        : `${s.drift.length} drift, ${s.health.length} health problem${s.health.length === 1 ? "" : "s"}`;
  out.push(`Lab ${s.lab} (${s.range}): ${verdict}`);
  out.push("", "Hosts");
  const rows: string[][] = [
    ["HOST", "ADDRESS", "ROUTER", "PEER", "IPAM", "OWNS", "PREDICTED", "PEERS", "CONNECTIONS"],
  ];
  for (const h of s.hosts) {
    rows.push([
      h.name,
      h.address,
      h.reachable ? h.router : "unreachable",
      h.peerName ? `${h.peerName}(${h.nickname ?? ""})` : "-",
      h.ipamStatus ? `${h.ipamStatus} ${h.range ?? ""}`.trim() : "-",
      h.owned.join(",") || "-",
      h.predicted ? h.predicted.join(",") || "(none)" : "(consensus)",
      h.peers.join(",") || "-",
      h.connections.map((c) => `${c.peer}:${c.state}`).join(",") || "-",
    ]);
  }
  out.push(...columns(rows));

  const containerRows: string[][] = [["HOST", "CONTAINER", "ID", "STATE", "ADDRESSES", "IN SPEC"]];
  for (const h of s.hosts)
    for (const c of h.containers)
      containerRows.push([
        h.name,
        c.key,
        c.id || "-",
        c.state,
        c.cidrs.join(",") || "-",
        c.origin === "planned" ? "yes" : c.origin === "unplanned" ? "no (labelled)" : "no",
      ]);
  out.push("", "Containers");
  out.push(...(containerRows.length > 1 ? columns(containerRows) : ["(none)"]));

  const dnsRows: string[][] = [["HOST", "NAME", "ADDRESS", "CONTAINER"]];
  for (const h of s.hosts) for (const d of h.dns) dnsRows.push([h.name, d.name, d.address, d.container]);
  out.push("", "DNS entries (each router's own)");
  out.push(...(dnsRows.length > 1 ? columns(dnsRows) : ["(none)"]));

  out.push("", s.drift.length ? `Drift (${s.drift.length})` : "Drift: none");
  for (const d of s.drift) out.push(`  ${d.kind}: ${d.message}`);
  if (s.health.length) {
    out.push("", `Health (${s.health.length})`);
    for (const p of s.health) out.push(`  ${p.kind}: ${p.message}`);
  }
  if (s.notes.length) {
    out.push("", "Notes");
    for (const n of s.notes) out.push(`  ${n}`);
  }
  if (matrix) out.push("", "Data plane", renderMatrix(matrix).trimEnd());
  return out.join("\n") + "\n";
}
