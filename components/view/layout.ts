/**
 * The range picture's geometry and typography: colours, layout constants, escaping, rounding,
 * the short form of an address and the packing of labels into rows. `svg.ts` draws with them.
 */
import { intToIpv4 } from "./model";

/** Colours chosen to stay distinguishable for the common colour-vision deficiencies (Okabe–Ito). */
export const HOST_COLOURS = [
  "#0072B2",
  "#E69F00",
  "#009E73",
  "#CC79A7",
  "#56B4E9",
  "#D55E00",
  "#F0E442",
  "#000000",
];
/** Text colour that stays readable on each `HOST_COLOURS` entry. */
export const TEXT_ON = [
  "#ffffff",
  "#000000",
  "#ffffff",
  "#000000",
  "#000000",
  "#ffffff",
  "#000000",
  "#ffffff",
];

/** Layout constants in px; exported so tests can compute expected positions. */
export const LAYOUT = {
  width: 1000,
  left: 40,
  barWidth: 920,
  barY: 96,
  barHeight: 56,
  /** Approximate advance of one character at 12px sans-serif, for collision avoidance. */
  charWidth: 7,
  rowHeight: 16,
} as const;

export const esc = (s: string): string =>
  s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");

/** Rounds to 0.01 px so output is stable and compact. */
export const r = (n: number): string => String(Math.round(n * 100) / 100);

/** The short form of an address inside the range: the octets that differ from the range start. */
export function shortAddress(ip: number, rangeFirst: number): string {
  const a = intToIpv4(ip).split(".");
  const b = intToIpv4(rangeFirst).split(".");
  let i = 0;
  while (i < 3 && a[i] === b[i]) i++;
  return i === 0 ? a.join(".") : "." + a.slice(i).join(".");
}

/**
 * Places labels (x = preferred left edge, w = width) into the fewest rows without overlaps:
 * greedy, first row whose last label ends before this one starts. Returns each label's row.
 */
export function packRows(items: { x: number; w: number }[], gap = 6): number[] {
  const order = items.map((it, i) => ({ ...it, i })).sort((a, b) => a.x - b.x);
  const rowEnds: number[] = [];
  const rows = new Array<number>(items.length).fill(0);
  for (const it of order) {
    let row = rowEnds.findIndex((end) => end + gap <= it.x);
    if (row < 0) {
      row = rowEnds.length;
      rowEnds.push(0);
    }
    rowEnds[row] = it.x + it.w;
    rows[it.i] = row;
  }
  return rows;
}
