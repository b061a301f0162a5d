/**
 * The range picture: the allocation range as one horizontal bar, each host's pieces as coloured
 * segments (labelled with host and CIDR), unowned space hatched, container addresses as ticks
 * below the bar, and a legend with each host's peer name and share. Pure: a string in, a string
 * out, so tests can parse it and the program can write it next to the stack.
 */
import { esc, HOST_COLOURS, LAYOUT, packRows, r, shortAddress, TEXT_ON } from "./layout";
import { intToIpv4, ipv4ToInt, parseCidr, percent, RangeView, Span, unownedSpans } from "./model";

/** What every part of the picture needs: the view, its range, and how addresses map to x. */
interface Frame {
  view: RangeView;
  range: ReturnType<typeof parseCidr>;
  xOf: (ip: number) => number;
  wOf: (size: number) => number;
  textW: (s: string) => number;
  colour: (i: number) => string;
}

/** One host's piece of the range on the bar. */
interface Seg {
  host: number;
  span: Span;
  cidr: string;
  x: number;
  w: number;
}

/** Labels of segments too narrow to hold them: above the bar, packed into rows. */
interface OutsideLabels {
  labels: { seg: Seg; text: string }[];
  items: { x: number; w: number }[];
  rows: number[];
}

function frameOf(view: RangeView): Frame {
  const L = LAYOUT;
  const range = parseCidr(view.range);
  return {
    view,
    range,
    xOf: (ip) => L.left + ((ip - range.first) / range.size) * L.barWidth,
    wOf: (size) => (size / range.size) * L.barWidth,
    textW: (s) => s.length * L.charWidth,
    colour: (i) => HOST_COLOURS[i % HOST_COLOURS.length],
  };
}

function segmentsOf(f: Frame): Seg[] {
  return f.view.hosts.flatMap((h, hi) =>
    h.shares.map((s) => {
      const first = ipv4ToInt(s.start);
      const span = { first, last: ipv4ToInt(s.end), size: s.size };
      return { host: hi, span, cidr: s.cidr, x: f.xOf(first), w: f.wOf(s.size) };
    }),
  );
}

const labelFits = (f: Frame, s: Seg): boolean =>
  Math.max(f.textW(f.view.hosts[s.host].name), f.textW(s.cidr)) + 8 <= s.w;

function outsideLabelsOf(f: Frame, segs: Seg[]): OutsideLabels {
  const labels = segs
    .filter((s) => !labelFits(f, s))
    .map((seg) => ({ seg, text: `${f.view.hosts[seg.host].name} ${seg.cidr}` }));
  const items = labels.map((o) => ({
    x: Math.min(Math.max(o.seg.x + o.seg.w / 2 - f.textW(o.text) / 2, 4), LAYOUT.width - 4 - f.textW(o.text)),
    w: f.textW(o.text),
  }));
  return { labels, items, rows: packRows(items) };
}

/** Title and the one-line summary under it. */
function drawHeading(f: Frame, title: string, ownedTotal: number): string[] {
  const { range, view } = f;
  return [
    `<text x="${LAYOUT.left}" y="28" class="title">${esc(title)}</text>`,
    `<text x="${LAYOUT.left}" y="48" class="sub">${esc(
      `${range.size} addresses (${intToIpv4(range.first)} – ${intToIpv4(range.last)}) · ` +
        `${view.hosts.length} host${view.hosts.length === 1 ? "" : "s"} · ` +
        `${view.containers.length} container${view.containers.length === 1 ? "" : "s"} · ` +
        `${percent(ownedTotal, range.size)} owned`,
    )}</text>`,
  ];
}

/** The bar: unowned space hatched, each share a coloured segment, labelled inside when it fits. */
function drawBar(f: Frame, barY: number, gaps: Span[], segs: Seg[]): string[] {
  const L = LAYOUT;
  const { range, view, xOf, wOf, colour } = f;
  const body: string[] = [];
  body.push(`<g class="bar">`);
  body.push(
    `<rect x="${L.left}" y="${barY}" width="${L.barWidth}" height="${L.barHeight}" fill="url(#unowned)" stroke="#666666"/>`,
  );
  for (const g of gaps) {
    body.push(
      `<rect class="unowned" data-start="${intToIpv4(g.first)}" data-size="${g.size}" x="${r(xOf(g.first))}" y="${barY}" width="${r(
        wOf(g.size),
      )}" height="${L.barHeight}" fill="url(#unowned)"><title>${esc(
        `unowned ${intToIpv4(g.first)} – ${intToIpv4(g.last)} (${g.size} addresses)`,
      )}</title></rect>`,
    );
  }
  for (const s of segs) {
    const host = view.hosts[s.host];
    body.push(
      `<rect class="share" data-host="${esc(host.name)}" data-cidr="${esc(s.cidr)}" data-size="${s.span.size}" x="${r(
        s.x,
      )}" y="${barY}" width="${r(s.w)}" height="${L.barHeight}" fill="${colour(s.host)}" stroke="#ffffff" stroke-width="1">` +
        `<title>${esc(`${host.name} ${s.cidr} (${s.span.size} addresses, ${percent(s.span.size, range.size)})`)}</title></rect>`,
    );
    if (labelFits(f, s)) {
      const cx = r(s.x + s.w / 2);
      const fill = TEXT_ON[s.host % TEXT_ON.length];
      body.push(
        `<text class="seglabel" x="${cx}" y="${barY + 24}" text-anchor="middle" fill="${fill}" font-weight="bold">${esc(host.name)}</text>`,
      );
      body.push(
        `<text class="seglabel" x="${cx}" y="${barY + 42}" text-anchor="middle" fill="${fill}">${esc(s.cidr)}</text>`,
      );
    }
  }
  body.push(`</g>`);
  return body;
}

/** Labels for narrow segments: above the bar, stacked upwards, with a leader line. */
function drawOutsideLabels(f: Frame, barY: number, outside: OutsideLabels): string[] {
  const body: string[] = [];
  outside.labels.forEach((o, i) => {
    const y = barY - 8 - outside.rows[i] * LAYOUT.rowHeight;
    const mid = o.seg.x + o.seg.w / 2;
    body.push(
      `<line x1="${r(mid)}" y1="${y + 3}" x2="${r(mid)}" y2="${barY}" stroke="${f.colour(o.seg.host)}"/>`,
    );
    body.push(`<text class="seglabel outside" x="${r(outside.items[i].x)}" y="${y}">${esc(o.text)}</text>`);
  });
  return body;
}

/** Address axis: the range ends in full, boundaries between pieces in short form. */
function drawAxis(f: Frame, barY: number, axisY: number, segs: Seg[], gaps: Span[]): string[] {
  const L = LAYOUT;
  const { range, xOf, textW } = f;
  const bounds = new Set<number>([
    range.first,
    ...segs.map((s) => s.span.first),
    ...gaps.map((g) => g.first),
  ]);
  const axisParts: string[] = [];
  let lastEnd = -Infinity;
  axisParts.push(`<g class="axis">`);
  for (const b of [...bounds].sort((a, c) => a - c)) {
    const text = b === range.first ? intToIpv4(b) : shortAddress(b, range.first);
    const x = xOf(b);
    const anchorStart = b === range.first;
    const left = anchorStart ? x : x - textW(text) / 2;
    if (left < lastEnd + 4) continue;
    lastEnd = left + textW(text);
    axisParts.push(
      `<line x1="${r(x)}" y1="${barY + L.barHeight}" x2="${r(x)}" y2="${barY + L.barHeight + 4}" stroke="#666666"/>`,
    );
    axisParts.push(
      `<text class="addr" x="${r(x)}" y="${axisY}" text-anchor="${anchorStart ? "start" : "middle"}">${esc(text)}</text>`,
    );
  }
  const endText = intToIpv4(range.last);
  const endOnAxis = lastEnd + 8 <= L.left + L.barWidth - textW(endText);
  axisParts.push(
    `<text class="addr" x="${L.left + L.barWidth}" y="${endOnAxis ? axisY : axisY + 14}" text-anchor="end">${esc(endText)}</text>`,
  );
  axisParts.push(`</g>`);
  return axisParts;
}

/**
 * Container ticks on the bar; below it one label per cluster of nearby ticks (closer than a few
 * px they would be unreadable), packed into rows. Leaders are drawn first and labels get a white
 * halo, so a leader passing behind a label never strikes through its text. Returns the parts
 * and the y below the last label row (`tickTop` when there is no container in the range).
 */
function drawContainers(
  f: Frame,
  barY: number,
  tickTop: number,
  inRange: RangeView["containers"],
): { body: string[]; y: number } {
  const L = LAYOUT;
  const { range, xOf, textW, colour } = f;
  const body: string[] = [];
  if (inRange.length === 0) return { body, y: tickTop };
  const hostIndex = new Map(f.view.hosts.map((h, i) => [h.name, i]));
  const ticks = inRange
    .map((c) => {
      const ip = ipv4ToInt(c.ip);
      return { c, ip, x: xOf(ip + 0.5), text: `${c.name} ${shortAddress(ip, range.first)}` };
    })
    .sort((a, b) => a.ip - b.ip || a.c.host.localeCompare(b.c.host));
  const groups: (typeof ticks)[] = [];
  for (const t of ticks) {
    const g = groups[groups.length - 1];
    if (g && t.x - g[g.length - 1].x < 8) g.push(t);
    else groups.push([t]);
  }
  const labels = groups.map((g) => {
    const shown =
      g.length > 4 ? [...g.slice(0, 3).map((t) => t.text), `… +${g.length - 3} more`] : g.map((t) => t.text);
    const text = shown.join(", ");
    const x = g[0].x;
    const hosts = new Set(g.map((t) => t.c.host));
    const hi = hosts.size === 1 ? hostIndex.get(g[0].c.host) : undefined;
    const w = textW(text);
    return {
      g,
      text,
      x,
      w,
      lx: Math.min(Math.max(x - 6, 4), L.width - 4 - w),
      fill: hi === undefined ? "#333333" : colour(hi),
    };
  });
  const rows = packRows(labels.map((l) => ({ x: l.lx, w: l.w })));
  body.push(`<g class="containers">`);
  for (const t of ticks) {
    body.push(
      `<line class="tick" data-container="${esc(t.c.name)}" data-host="${esc(t.c.host)}" data-ip="${esc(intToIpv4(t.ip))}" x1="${r(
        t.x,
      )}" y1="${barY}" x2="${r(t.x)}" y2="${barY + L.barHeight}" stroke="#222222" stroke-width="2"/>`,
    );
  }
  labels.forEach((l, i) => {
    const ly = tickTop + 14 + rows[i] * L.rowHeight;
    body.push(
      `<line x1="${r(l.x)}" y1="${barY + L.barHeight}" x2="${r(l.x)}" y2="${ly - 10}" stroke="${l.fill}" stroke-dasharray="2,2"/>`,
    );
  });
  labels.forEach((l, i) => {
    const ly = tickTop + 14 + rows[i] * L.rowHeight;
    body.push(
      `<text class="clabel" x="${r(l.lx)}" y="${ly}" fill="${l.fill}"><title>${esc(
        l.g.map((t) => `${t.c.name} on ${t.c.host}: ${intToIpv4(t.ip)}`).join("\n"),
      )}</title>${esc(l.text)}</text>`,
    );
  });
  body.push(`</g>`);
  return { body, y: tickTop + 14 + (Math.max(...rows) + 1) * L.rowHeight };
}

/** Legend: one row per host, then the unowned swatch when there is unowned space. Returns the y after it. */
function drawLegend(f: Frame, y: number, gaps: Span[], body: string[]): number {
  const L = LAYOUT;
  const { range, colour } = f;
  body.push(`<g class="legend">`);
  f.view.hosts.forEach((h, i) => {
    const owned = h.shares.reduce((n, s) => n + s.size, 0);
    const cidrs = h.shares.map((s) => s.cidr).join(", ") || "no share";
    body.push(`<rect x="${L.left}" y="${y - 11}" width="14" height="14" fill="${colour(i)}"/>`);
    body.push(
      `<text class="legend" x="${L.left + 22}" y="${y}"><tspan font-weight="bold">${esc(h.name)}</tspan>` +
        `<tspan x="${L.left + 130}" class="mono">${esc(h.peerName)}</tspan>` +
        `<tspan x="${L.left + 290}">${esc(`${owned} addresses (${percent(owned, range.size)})`)}</tspan>` +
        `<tspan x="${L.left + 470}">${esc(cidrs)}</tspan></text>`,
    );
    y += 20;
  });
  if (gaps.length > 0) {
    const size = gaps.reduce((n, g) => n + g.size, 0);
    body.push(
      `<rect x="${L.left}" y="${y - 11}" width="14" height="14" fill="url(#unowned)" stroke="#999999"/>`,
    );
    body.push(
      `<text class="legend" x="${L.left + 22}" y="${y}"><tspan font-weight="bold">unowned</tspan>` +
        `<tspan x="${L.left + 290}">${esc(`${size} addresses (${percent(size, range.size)})`)}</tspan></text>`,
    );
    y += 20;
  }
  body.push(`</g>`);
  return y;
}

const DEFS =
  `<defs><pattern id="unowned" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">` +
  `<rect width="8" height="8" fill="#f2f2f2"/><line x1="0" y1="0" x2="0" y2="8" stroke="#bbbbbb" stroke-width="3"/></pattern></defs>`;

const STYLE =
  `<style>text{font-family:'DejaVu Sans',Arial,Helvetica,sans-serif;font-size:12px;fill:#222222}` +
  `.title{font-size:18px;font-weight:bold}.sub{fill:#555555}.addr{font-size:11px;fill:#444444;paint-order:stroke;stroke:#ffffff;stroke-width:3px;stroke-linejoin:round}` +
  `.mono{font-family:'DejaVu Sans Mono',Menlo,Consolas,monospace}.note{fill:#a33a00}` +
  `.seglabel{font-size:12px}.clabel{paint-order:stroke;stroke:#ffffff;stroke-width:3px;stroke-linejoin:round}</style>`;

/** Renders the range picture as a standalone SVG document. Throws on an unparsable range or share. */
export function renderRangeSvg(view: RangeView): string {
  const L = LAYOUT;
  const f = frameOf(view);
  const { range } = f;
  const title = view.title ?? `Weave allocation range ${view.range}`;
  const inRange = view.containers.filter((c) => {
    const ip = ipv4ToInt(c.ip);
    return ip >= range.first && ip <= range.last;
  });
  const outside = view.containers.filter((c) => !inRange.includes(c));
  const gaps = unownedSpans(view);
  const ownedTotal = range.size - gaps.reduce((n, g) => n + g.size, 0);

  // Segment labels that do not fit inside their segment go above the bar, packed into rows.
  const segs = segmentsOf(f);
  const outsideLabels = outsideLabelsOf(f, segs);
  const nOutsideRows = outsideLabels.labels.length === 0 ? 0 : Math.max(...outsideLabels.rows) + 1;
  // Two rows fit between the subtitle and the bar; more push the bar down.
  const barY = L.barY + Math.max(0, nOutsideRows - 2) * L.rowHeight;

  const body: string[] = [
    ...drawHeading(f, title, ownedTotal),
    ...drawBar(f, barY, gaps, segs),
    ...drawOutsideLabels(f, barY, outsideLabels),
  ];
  const axisY = barY + L.barHeight + 14;
  const containers = drawContainers(f, barY, axisY + 22, inRange);
  body.push(...containers.body);
  let y = containers.y;
  // The axis goes on top of the leaders (its labels have a halo too).
  body.push(...drawAxis(f, barY, axisY, segs, gaps));
  if (outside.length > 0) {
    y += 8;
    body.push(
      `<text class="note" x="${L.left}" y="${y}">${esc(
        `Outside the range (not tracked by Weave IPAM): ${outside.map((c) => `${c.name}@${c.host} ${c.ip.split("/")[0]}`).join(", ")}`,
      )}</text>`,
    );
    y += 10;
  }
  y = drawLegend(f, y + 20, gaps, body);

  const height = y + 4;
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<svg xmlns="http://www.w3.org/2000/svg" width="${L.width}" height="${height}" viewBox="0 0 ${L.width} ${height}" role="img" aria-label="${esc(
      title,
    )}">\n<title>${esc(title)}</title>\n${STYLE}\n${DEFS}\n<rect x="0" y="0" width="${L.width}" height="${height}" fill="#ffffff"/>\n` +
    body.join("\n") +
    `\n</svg>\n`
  );
}
