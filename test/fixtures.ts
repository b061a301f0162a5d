/**
 * Reads the real Weave 2.8.1 captures in `test/fixtures/weave-2.8.1/` byte for byte (kept in the
 * repository, so unit tests need nothing beside the clone; see that folder's README for how and
 * where they were captured).
 * Format of a `.txt` fixture (see that folder's README): a `$ command` line, a `# host=… exit=…`
 * line, then `--- stdout (N bytes) ---`, N bytes, a newline, `--- stderr (M bytes) ---`, M bytes.
 */
import * as fs from "fs";
import * as path from "path";

/** Folder of the fixtures, inside the repository. */
export const FIXTURE_DIR = path.resolve(__dirname, "fixtures", "weave-2.8.1");

export interface Fixture {
  /** File name without folder. */
  file: string;
  /** The command exactly as sent over SSH. */
  command: string;
  host: string;
  ip: string;
  exit: number;
  durationMs: number;
  utc: string;
  stdout: string;
  stderr: string;
}

/** Parse one `.txt` fixture; throws naming the file if it does not have the documented shape. */
export function readFixture(file: string): Fixture {
  const buf = fs.readFileSync(path.join(FIXTURE_DIR, file));
  const fail = (why: string): never => {
    throw new Error(`fixture ${file}: ${why}`);
  };
  let pos = 0;
  const line = (): string => {
    const nl = buf.indexOf(0x0a, pos);
    if (nl < 0) fail("unexpected end of file");
    const s = buf.subarray(pos, nl).toString("utf8");
    pos = nl + 1;
    return s;
  };
  const cmdLine = line();
  if (!cmdLine.startsWith("$ ")) fail("first line is not '$ command'");
  const meta = line();
  const fields: Record<string, string> = {};
  for (const m of meta.matchAll(/(\w+)=(\S+)/g)) fields[m[1]] = m[2];
  const block = (name: string): string => {
    const header = line();
    const m = new RegExp(`^--- ${name} \\((\\d+) bytes\\) ---$`).exec(header);
    if (!m) fail(`expected '--- ${name} (N bytes) ---', got '${header}'`);
    const n = Number(m![1]);
    const body = buf.subarray(pos, pos + n);
    if (body.length !== n) fail(`${name} is shorter than ${n} bytes`);
    pos += n;
    return body.toString("utf8");
  };
  const stdout = block("stdout");
  if (buf[pos] !== 0x0a) fail("no newline after stdout bytes");
  pos += 1;
  const stderr = block("stderr");
  return {
    file,
    command: cmdLine.slice(2),
    host: fields.host ?? "",
    ip: fields.ip ?? "",
    exit: Number(fields.exit),
    durationMs: Number(fields.duration_ms),
    utc: fields.utc ?? "",
    stdout,
    stderr,
  };
}

/** Raw text of a `.json` fixture (a `weave report` or `docker info` body). */
export function readJsonFixture(file: string): string {
  return fs.readFileSync(path.join(FIXTURE_DIR, file), "utf8");
}

/** Every fixture file name, sorted (capture order). */
export function listFixtures(): string[] {
  return fs
    .readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith(".txt") || f.endsWith(".json"))
    .sort();
}
