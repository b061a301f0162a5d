/**
 * Weave's log line shape: `INFO: 2026/11/28 03:03:48.269459 message` (microseconds, UTC), appended
 * to `$WEAVE_DOUBLE_HOME/weave.log` so `docker logs weave` can print it.
 */
import * as fs from "fs";

export type Level = "INFO" | "WARN" | "ERRO" | "FATA" | "DEBU";

/** Wall clock with microseconds (Date alone has milliseconds). */
export function nowMicros(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}

export function logTimestamp(us: number = nowMicros()): string {
  const d = new Date(Math.floor(us / 1000));
  const p = (n: number, w = 2): string => String(n).padStart(w, "0");
  const micros = us % 1_000_000;
  return `${d.getUTCFullYear()}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(micros, 6)}`;
}

export class Logger {
  constructor(private readonly file: string | undefined) {}

  line(level: Level, msg: string): void {
    this.raw(`${level}: ${logTimestamp()} ${msg}\n`);
  }

  info(msg: string): void {
    this.line("INFO", msg);
  }

  warn(msg: string): void {
    this.line("WARN", msg);
  }

  /** Unformatted text (panic traces). */
  raw(text: string): void {
    if (!this.file) {
      process.stderr.write(text);
      return;
    }
    try {
      fs.appendFileSync(this.file, text);
    } catch {
      // The host's state dir was removed under us (lab teardown): there is nobody left to read it.
    }
  }
}
