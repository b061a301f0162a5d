/**
 * `npm run bench [-- name…] [--json] [--help]`: runs the benchmark modules `bench/<name>.bench.ts` (all of
 * them by default) and prints one table of their figures with the ratio to each target.
 *
 * A bench module's default export is `async () => BenchResult[]`. Exit status: 0 when every bench
 * ran and met its targets, 1 when one failed or missed a target (the table says which), 2 for an
 * unknown bench name or option. `--help` prints the usage and runs nothing.
 */
import * as fs from "fs";
import * as path from "path";

/** One measured figure. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  /** What `value` should stay under. */
  target?: number;
  /** value / target (below 1 meets the target); computed by the runner when missing. */
  ratio?: number;
  note?: string;
}

export type BenchModule = { default: () => Promise<BenchResult[]> };

/** Bench names available in a folder: `x` for every `x.bench.ts`. */
export function listBenches(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".bench.ts"))
    .map((f) => f.slice(0, -".bench.ts".length))
    .sort();
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export interface Row {
  bench: string;
  result?: BenchResult;
  error?: string;
}

const fmt = (n: number): string =>
  Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 1 ? n.toFixed(2) : n.toPrecision(3);

/** The results table (pure). */
export function renderTable(rows: readonly Row[]): string {
  const cells: string[][] = [["BENCH", "NAME", "VALUE", "UNIT", "TARGET", "RATIO", "STATUS", "NOTE"]];
  for (const r of rows) {
    if (r.error !== undefined) {
      cells.push([r.bench, "-", "-", "-", "-", "-", "FAILED", r.error]);
      continue;
    }
    const x = r.result!;
    const ratio = x.ratio ?? (x.target ? x.value / x.target : undefined);
    const status = ratio === undefined ? "-" : ratio <= 1 ? "ok" : "MISSED";
    cells.push([
      r.bench,
      x.name,
      fmt(x.value),
      x.unit,
      x.target !== undefined ? fmt(x.target) : "-",
      ratio !== undefined ? ratio.toFixed(3) : "-",
      status,
      x.note ?? "",
    ]);
  }
  const widths = cells[0].map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  return (
    cells
      .map((row) =>
        row
          .map((c, i) => c.padEnd(widths[i]))
          .join("  ")
          .trimEnd(),
      )
      .join("\n") + "\n"
  );
}

/** True when every row ran and met its target. */
export function allOk(rows: readonly Row[]): boolean {
  return rows.every((r) => {
    if (r.error !== undefined) return false;
    const x = r.result!;
    const ratio = x.ratio ?? (x.target ? x.value / x.target : undefined);
    return ratio === undefined || ratio <= 1;
  });
}

/** What each bench needs and does, for `--help` (one line each). */
export const BENCH_NOTES: Record<string, string> = {
  containers: "namespace labs of 4, 16 and 32 hosts (root), containers reconciled in parallel",
  lab: "namespace lab up+down for 4 and 32 hosts, and what its faults cost (root)",
  network: "4- and 32-host namespace labs (root): SSH sessions per host, router API vs CLI, consensus poll",
  plan: "planLab on 100 hosts and 2,000 containers (pure, no root)",
  real: "4 DinD hosts with real Weave 2.8.1 (root, Docker; ~7 min): textbook up/destroy vs Weave's floor (best of WEAVE_LAB_BENCH_ROUNDS), CLI calls of a 2nd up, N hosts vs 1 and vs Weave's own N-host launch (WEAVE_LAB_BENCH_SCALE)",
  remote:
    "2-host namespace lab (root): port-forwarded API vs weave CLI, sessions per host, CLI delay, deadlines and give-up times",
};

/** The usage text, listing the benches found in `available`. */
export function usage(available: readonly string[]): string {
  const width = Math.max(...available.map((b) => b.length));
  return [
    "Usage: npm run bench [-- <name>…] [--json]",
    "",
    "Runs the named benches (all of them when none is named) and prints one table of their",
    "figures with the ratio to each target. Benches on namespace labs need root and build",
    "network namespaces on this machine (removed afterwards).",
    "",
    ...available.map((b) => `  ${b.padEnd(width)}  ${BENCH_NOTES[b] ?? ""}`.trimEnd()),
    "",
    "  --json  print the results as JSON instead of a table",
    "  --help  print this text and run nothing",
    "",
    "Exit status: 0 every bench ran and met its targets, 1 one failed or missed a target,",
    "2 unknown bench or option.",
    "",
  ].join("\n");
}

/** Where the runner writes; injectable for tests. */
export interface BenchIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const processIo: BenchIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

/**
 * Runs the benches `argv` names; `load` imports one bench module (tests pass a fake, so the
 * argument handling is checked without running a bench).
 */
export async function main(
  argv: readonly string[],
  io: BenchIo = processIo,
  dir = __dirname,
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  load: (file: string) => BenchModule = (file) => require(file) as BenchModule,
): Promise<number> {
  const available = listBenches(dir);
  if (argv.includes("--help") || argv.includes("-h")) {
    io.stdout(usage(available));
    return 0;
  }
  const options = argv.filter((a) => a.startsWith("-"));
  const badOptions = options.filter((o) => o !== "--json");
  if (badOptions.length > 0) {
    io.stderr(`bench: unknown option ${badOptions.join(", ")}\n\n${usage(available)}`);
    return 2;
  }
  const json = options.includes("--json");
  const wanted = argv.filter((a) => !a.startsWith("-"));
  const unknown = wanted.filter((w) => !available.includes(w));
  if (unknown.length > 0) {
    io.stderr(`bench: unknown ${unknown.join(", ")}; available: ${available.join(", ")}\n`);
    return 2;
  }
  const rows: Row[] = [];
  for (const name of wanted.length ? wanted : available) {
    io.stderr(`bench: running ${name}…\n`);
    try {
      const mod = load(path.join(dir, `${name}.bench.ts`));
      for (const result of await mod.default()) rows.push({ bench: name, result });
    } catch (e) {
      rows.push({ bench: name, error: (e as Error).message.split("\n")[0] });
    }
  }
  io.stdout(json ? `${JSON.stringify(rows, null, 2)}\n` : renderTable(rows));
  return allOk(rows) ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e) => {
      process.stderr.write(`bench: ${(e as Error).stack}\n`);
      process.exitCode = 1;
    },
  );
}
