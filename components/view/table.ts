/**
 * The range split as plain text for terminals and `pulumi stack output`: one line per piece of
 * the range (host, peer name, CIDR, size, share), unowned gaps, then the containers.
 */
import type { RangeShare } from "../model/plan";
import { intToIpv4, ipv4ToInt, parseCidr, percent, RangeView, RangeViewHost, unownedSpans } from "./model";

/** Left-aligned columns separated by two spaces; trailing spaces trimmed. */
export function formatColumns(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** Renders the view as a text table (ends with a newline). */
export function renderRangeTable(view: RangeView): string {
  const range = parseCidr(view.range);
  const out: string[] = [];
  out.push(
    `Range ${view.range}: ${range.size} addresses, ${intToIpv4(range.first)} - ${intToIpv4(range.last)}`,
  );
  out.push("");

  const rows: string[][] = [["HOST", "PEER NAME", "SHARE", "FIRST", "LAST", "SIZE", "OF RANGE"]];
  const pieces = view.hosts.flatMap((h): { h: RangeViewHost; s?: RangeShare }[] =>
    h.shares.length > 0 ? h.shares.map((s) => ({ h, s })) : [{ h }],
  );
  const gaps = unownedSpans(view).map((g) => ({ first: g.first, row: g }));
  const lines: { at: number; cells: string[] }[] = [];
  for (const { h, s } of pieces) {
    lines.push({
      at: s ? ipv4ToInt(s.start) : Number.MAX_SAFE_INTEGER,
      cells: s
        ? [h.name, h.peerName, s.cidr, s.start, s.end, String(s.size), percent(s.size, range.size)]
        : [h.name, h.peerName, "(none)", "", "", "0", percent(0, range.size)],
    });
  }
  for (const g of gaps) {
    lines.push({
      at: g.first,
      cells: [
        "(unowned)",
        "",
        "",
        intToIpv4(g.row.first),
        intToIpv4(g.row.last),
        String(g.row.size),
        percent(g.row.size, range.size),
      ],
    });
  }
  lines.sort((a, b) => a.at - b.at);
  rows.push(...lines.map((l) => l.cells));
  out.push(formatColumns(rows));

  const totals: string[][] = [["HOST", "ADDRESSES", "OF RANGE", "CONTAINERS"]];
  for (const h of view.hosts) {
    const owned = h.shares.reduce((n, s) => n + s.size, 0);
    totals.push([
      h.name,
      String(owned),
      percent(owned, range.size),
      String(view.containers.filter((c) => c.host === h.name).length),
    ]);
  }
  out.push("");
  out.push(formatColumns(totals));

  if (view.containers.length > 0) {
    const crow: string[][] = [["CONTAINER", "HOST", "IP", "OWNER OF ADDRESS"]];
    const sorted = [...view.containers].sort(
      (a, b) => ipv4ToInt(a.ip) - ipv4ToInt(b.ip) || a.host.localeCompare(b.host),
    );
    for (const c of sorted) {
      const ip = ipv4ToInt(c.ip);
      const owner =
        ip < range.first || ip > range.last
          ? "outside the range (not tracked)"
          : (view.hosts.find((h) => h.shares.some((s) => ip >= ipv4ToInt(s.start) && ip <= ipv4ToInt(s.end)))
              ?.name ?? "unowned");
      crow.push([c.name, c.host, c.ip.split("/")[0], owner]);
    }
    out.push("");
    out.push(formatColumns(crow));
  }
  return out.join("\n") + "\n";
}
