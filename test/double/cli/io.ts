/**
 * Output plumbing shared by the `weave` and `docker` CLI doubles: both are short-lived processes
 * that write stdout/stderr and exit with a code, and a command may end from deep inside a helper
 * (the script's `set -e` and `exit N`), which {@link Exit} models.
 */
import * as http from "http";

/** Thrown to end the command with a code, as `exit N` does in the script. */
export class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** stdout/stderr of one command; written straight through so blocking commands show progress. */
export class Io {
  out(s: string): void {
    if (s) process.stdout.write(s);
  }
  err(s: string): void {
    if (s) process.stderr.write(s);
  }
  /** `echo` to stdout. */
  line(s: string): void {
    this.out(s + "\n");
  }
  /** `echo … >&2`. */
  errLine(s: string): void {
    this.err(s + "\n");
  }
}

/** Run a CLI main and exit with its code once both streams are flushed. */
export function runMain(main: () => Promise<number>): void {
  main()
    .catch((e: unknown) => {
      if (e instanceof Exit) return e.code;
      // A stack only on request: the message already says what is wrong (e.g. no WEAVE_DOUBLE_HOME).
      const detail =
        e instanceof Error
          ? process.env.WEAVE_DOUBLE_DEBUG
            ? (e.stack ?? e.message)
            : e.message
          : String(e);
      process.stderr.write(`double: ${detail}\n`);
      return 99;
    })
    .then((code) => {
      const done = (): void => process.exit(code);
      // Exit only after the pipes drained, or ssh may lose the tail of a large answer.
      process.stdout.write("", () => process.stderr.write("", done));
    });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms)));
}

/** What one HTTP call to the router gave: an answer, or curl's failure to connect. */
export type HttpOutcome =
  { kind: "http"; status: number; body: string } | { kind: "curl"; code: number; message: string };

/**
 * One request to the router, like the script's `curl --connect-timeout 3 -s -S`: no overall
 * timeout (blocking router calls block the CLI, as in real Weave), 3 s to connect.
 */
export function routerRequest(
  addr: string,
  method: string,
  urlPath: string,
  opts: { form?: Array<[string, string]>; headers?: Record<string, string> } = {},
): Promise<HttpOutcome> {
  const [host, portStr] = addr.split(":");
  const port = Number(portStr);
  const body = opts.form
    ? opts.form.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&")
    : undefined;
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (body !== undefined) {
    headers["Content-Type"] = "application/x-www-form-urlencoded";
    headers["Content-Length"] = String(Buffer.byteLength(body));
  }
  return new Promise((resolve) => {
    let settled = false;
    const finish = (o: HttpOutcome): void => {
      if (!settled) {
        settled = true;
        resolve(o);
      }
    };
    const req = http.request({ host, port, method, path: urlPath, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        finish({ kind: "http", status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
      );
      res.on("error", (e) =>
        finish({ kind: "curl", code: 56, message: `curl: (56) Recv failure: ${e.message}` }),
      );
    });
    const connectTimer = setTimeout(() => {
      req.destroy();
      finish({ kind: "curl", code: 28, message: `curl: (28) Connection timed out after 3001 milliseconds` });
    }, 3000);
    req.on("socket", (s) => s.on("connect", () => clearTimeout(connectTimer)));
    req.on("error", (e: NodeJS.ErrnoException) => {
      clearTimeout(connectTimer);
      if (e.code === "ECONNREFUSED") {
        finish({
          kind: "curl",
          code: 7,
          message: `curl: (7) Failed to connect to ${host} port ${port} after 0 ms: Connection refused`,
        });
      } else {
        finish({ kind: "curl", code: 56, message: `curl: (56) ${e.message}` });
      }
    });
    req.end(body);
  });
}
