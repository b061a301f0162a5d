/**
 * The readable form of a plan for `weave-lab plan`: pure text, no I/O, so it is tested against
 * exact expectations. Secrets never appear: the plan holds none, and launch commands show secret
 * variables as `NAME=<secret>`.
 */
import type { LabPlan, RangeShare } from "../model/plan";
import { renderForLog } from "../remote/quote";

/** Left-aligned columns separated by two spaces, trailing spaces trimmed. */
export function columns(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i]))
      .join("  ")
      .trimEnd(),
  );
}

const pct = (part: number, whole: number): string => `${((100 * part) / whole).toFixed(1)}%`;
const ipNum = (ip: string): number => ip.split(".").reduce((a, o) => a * 256 + Number(o), 0);
const rangeSize = (cidr: string): number => 2 ** (32 - Number(cidr.split("/")[1]));

/** Symbol of the n-th host in the range bar: 1-9, then a-z, then `#`. */
const symbol = (i: number): string =>
  i < 9 ? String(i + 1) : i < 35 ? String.fromCharCode(97 + i - 9) : "#";

/**
 * A one-line picture of the predicted split: `width` cells across the range, each showing the
 * host that owns the cell's first address (`.` if none). Pieces smaller than a cell may not show;
 * the hosts table has the exact figures.
 */
export function rangeBar(plan: LabPlan, width = 64): string[] {
  const range = plan.network.allocRange;
  const size = rangeSize(range);
  const first = ipNum(range.split("/")[0]);
  const cells = Math.min(width, size);
  const per = size / cells;
  const pieces = plan.hosts.flatMap((h, i) =>
    (h.predictedShare ?? []).map((s: RangeShare) => ({ i, start: ipNum(s.start), end: ipNum(s.end) })),
  );
  let bar = "";
  for (let c = 0; c < cells; c++) {
    const at = first + c * per;
    const p = pieces.find((x) => at >= x.start && at <= x.end);
    bar += p ? symbol(p.i) : ".";
  }
  const legend = plan.hosts.map((h, i) => `${symbol(i)} ${h.name}`).join("  ");
  return [`${range} |${bar}|`, `  ${legend}`];
}

function addressing(c: LabPlan["containers"][number]): string {
  switch (c.addressing.kind) {
    case "dynamic":
      return `dynamic (from ${c.addressing.subnet})`;
    case "subnet":
      return `subnet ${c.addressing.subnet}`;
    case "static":
      return `static ${c.addressing.cidr}${c.addressing.insideRange ? "" : " (outside the range: not tracked by Weave)"}`;
  }
}

/** Render a plan as the text `weave-lab plan` prints (ends with a newline). */
export function renderPlan(plan: LabPlan): string {
  const n = plan.network;
  const size = rangeSize(n.allocRange);
  const out: string[] = [];
  const count = (k: number, what: string): string => `${k} ${what}${k === 1 ? "" : "s"}`;
  out.push(
    `Lab ${plan.name}: ${count(plan.hosts.length, "host")}, ${count(plan.containers.length, "container")}, ${count(plan.dnsRecords.length, "DNS record")}`,
  );
  out.push(
    `Network: range ${n.allocRange} (${size} addresses), default subnet ${n.defaultSubnet}, bootstrap ${n.bootstrap}, ` +
      `encryption ${n.encrypted ? "on" : "off"}${n.trustedSubnets.length ? ` (trusted: ${n.trustedSubnets.join(", ")})` : ""}, ` +
      (n.dns.disabled ? "DNS off" : `DNS ${n.dns.domain} (TTL ${n.dns.ttl})`),
  );
  out.push(
    `Weave: ${n.weave.distribution} ${n.weave.version} (Docker API ${n.weave.dockerApiVersion}` +
      `${n.weave.dockerApiVersionOverride ? `, DOCKER_API_VERSION=${n.weave.dockerApiVersionOverride}` : ""}), ` +
      `script ${n.weave.scriptPath} (${n.weave.install === "download" ? `downloaded from ${n.weave.scriptUrl}` : "present"}), ` +
      `proxy ${n.proxy ? "on" : "off"}, plugin ${n.plugin ? "on" : "off"}`,
  );
  out.push(`Fingerprint: ${n.fingerprint}`);

  out.push("", "Hosts");
  const seed = n.bootstrap === "seed";
  const hostRows: string[][] = [["NAME", "ADDRESS", "PEER NAME", "PREDICTED SHARE", "SIZE", "OF RANGE"]];
  for (const h of plan.hosts) {
    const shares = h.predictedShare ?? [];
    if (!seed) {
      hostRows.push([h.name, h.address, h.peerName, "(decided at run time)", "", ""]);
    } else if (shares.length === 0) {
      hostRows.push([h.name, h.address, h.peerName, "(none)", "0", pct(0, size)]);
    } else {
      shares.forEach((s, i) =>
        hostRows.push(
          i === 0
            ? [h.name, h.address, h.peerName, s.cidr, String(s.size), pct(s.size, size)]
            : ["", "", "", s.cidr, String(s.size), pct(s.size, size)],
        ),
      );
    }
  }
  out.push(...columns(hostRows));
  if (seed) out.push("", "Range split (predicted)", ...rangeBar(plan));
  else
    out.push(
      "",
      "Range split: decided by consensus at run time (a host may own nothing until it asks for space)",
    );

  out.push("", "Containers");
  if (plan.containers.length === 0) {
    out.push("(none)");
  } else {
    const rows: string[][] = [["KEY", "IMAGE", "ADDRESSING", "DNS NAMES"]];
    for (const c of plan.containers) {
      rows.push([
        c.key,
        c.image,
        addressing(c),
        [c.fqdn, ...c.extraFqdns].filter((x) => x !== undefined).join(", ") || "-",
      ]);
    }
    out.push(...columns(rows));
  }

  if (plan.dnsRecords.length > 0) {
    out.push("", "DNS records");
    out.push(
      ...columns([
        ["NAME", "IPS", "REGISTERED FROM"],
        ...plan.dnsRecords.map((r) => [r.fqdn, r.ips.join(", "), r.host]),
      ]),
    );
  }

  out.push("", plan.warnings.length ? `Warnings (${plan.warnings.length})` : "Warnings: none");
  for (const w of plan.warnings) out.push(`  ${w.path}: ${w.message}`);

  out.push("", "Launch commands");
  for (const h of plan.hosts) {
    out.push(
      `${h.name}: ${renderForLog(h.launch.argv, { env: h.launch.env, secretEnvNames: h.launch.secretEnv })}`,
    );
  }
  return out.join("\n") + "\n";
}
