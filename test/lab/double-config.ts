/**
 * The per-host configuration file of the Weave/Docker double (`<WEAVE_DOUBLE_HOME>/config.json`).
 * The double re-reads it on every call, so a test may rewrite it between two commands.
 */
import { promises as fs } from "fs";
import * as path from "path";

/** What the double pretends to be on one host. */
export interface DoubleConfig {
  /** Delay of every `weave` CLI call in ms (a real call starts a helper container). Defaults to 650. */
  cliDelayMs: number;
  /** `docker version` server version. Defaults to `"20.10.24+dfsg1"`. */
  dockerServerVersion: string;
  /** Docker API version the engine speaks. Defaults to `"1.41"`. */
  dockerApiVersion: string;
  /** Oldest Docker API version the engine accepts. Defaults to `"1.12"`. */
  dockerMinApiVersion: string;
  /** Which Weave the host runs: `"weaveworks"` (2.8.1) or `"rajch"`. Defaults to `"weaveworks"`. */
  weaveDistribution: string;
  /** Weave version the script and router report. Defaults to `"2.8.1"`. */
  weaveVersion: string;
}

/** The double's defaults, written for every lab host unless `createLab({ double })` overrides them. */
export const DEFAULT_DOUBLE_CONFIG: Readonly<DoubleConfig> = Object.freeze({
  cliDelayMs: 650,
  dockerServerVersion: "20.10.24+dfsg1",
  dockerApiVersion: "1.41",
  dockerMinApiVersion: "1.12",
  weaveDistribution: "weaveworks",
  weaveVersion: "2.8.1",
});

/** Path of the double's config file in a host's home. */
export function doubleConfigPath(home: string): string {
  return path.join(home, "config.json");
}

/** Read a host's double config (defaults for fields the file lacks, or when there is no file). */
export async function readDoubleConfig(home: string): Promise<DoubleConfig> {
  let current: Partial<DoubleConfig> = {};
  try {
    current = JSON.parse(await fs.readFile(doubleConfigPath(home), "utf8")) as Partial<DoubleConfig>;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  return { ...DEFAULT_DOUBLE_CONFIG, ...current };
}

/**
 * Merge `partial` over the host's current config (or the defaults) and write it atomically
 * (temp file + rename), so a double reading concurrently never sees half a file.
 * Returns the config now in force.
 */
export async function writeDoubleConfig(
  home: string,
  partial: Partial<DoubleConfig> = {},
): Promise<DoubleConfig> {
  const merged: DoubleConfig = { ...(await readDoubleConfig(home)), ...stripUndefined(partial) };
  const file = doubleConfigPath(home);
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await fs.mkdir(home, { recursive: true });
  await fs.writeFile(tmp, JSON.stringify(merged, null, 2) + "\n");
  await fs.rename(tmp, file);
  return merged;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
