/**
 * The lab's latency injector. This kernel has no `netem` qdisc, so SSH to a lab host goes through
 * a proxy that can hold every chunk back for a while:
 *
 *   client ─TCP─▶ socat (in the host's namespace, address:22) ─unix socket─▶ this daemon
 *          ─TCP─▶ sshd (address:2022, same namespace)
 *
 * One daemon serves all hosts of a lab and runs as its own process (never inside the test
 * process, whose event loop a synchronous call could freeze). It must stay self-contained (only
 * Node built-ins): the lab transpiles this file alone and runs it with plain `node`.
 *
 * Latency semantics: `setLatency(host, ms)` adds `ms` to every round trip, half on the way in and
 * half on the way out — what `tc qdisc … netem delay <ms>` on one side of the link would do.
 */
import * as fs from "fs";
import * as net from "net";

/** A chunk waiting for its time. */
interface Pending {
  data: Buffer;
  due: number;
}

/**
 * A one-direction FIFO that releases each chunk `delayMs` after it arrived, never before an
 * earlier chunk (so lowering the delay mid-stream cannot reorder bytes).
 */
export class DelayQueue {
  private readonly queue: Pending[] = [];
  private lastDue = 0;
  private queuedBytes = 0;

  /** Add a chunk that arrived at `now`; returns when it may be released. */
  push(data: Buffer, now: number, delayMs: number): number {
    const due = Math.max(now + Math.max(0, delayMs), this.lastDue);
    this.lastDue = due;
    this.queue.push({ data, due });
    this.queuedBytes += data.length;
    return due;
  }

  /** Remove and return every chunk whose time has come, in arrival order. */
  takeDue(now: number): Buffer[] {
    const out: Buffer[] = [];
    while (this.queue.length > 0 && this.queue[0].due <= now) {
      const p = this.queue.shift() as Pending;
      this.queuedBytes -= p.data.length;
      out.push(p.data);
    }
    return out;
  }

  /** When the next chunk is due, or undefined when empty. */
  nextDue(): number | undefined {
    return this.queue.length > 0 ? this.queue[0].due : undefined;
  }

  get bytes(): number {
    return this.queuedBytes;
  }

  get empty(): boolean {
    return this.queue.length === 0;
  }
}

const HIGH_WATER = 4 * 1024 * 1024;
const LOW_WATER = 1024 * 1024;

/** Copy `from` → `to`, delaying each chunk by `delayMs()` (read at arrival), keeping order and half-closes. */
export function delayPipe(from: net.Socket, to: net.Socket, delayMs: () => number): void {
  const q = new DelayQueue();
  let timer: NodeJS.Timeout | undefined;
  let ended = false;
  let paused = false;

  const flush = (): void => {
    timer = undefined;
    for (const chunk of q.takeDue(Date.now())) if (!to.destroyed) to.write(chunk);
    if (paused && q.bytes < LOW_WATER) {
      paused = false;
      from.resume();
    }
    const next = q.nextDue();
    if (next !== undefined) timer = setTimeout(flush, Math.max(0, next - Date.now()));
    else if (ended && !to.destroyed) to.end();
  };

  from.on("data", (chunk: Buffer) => {
    const d = delayMs();
    if (d <= 0 && q.empty) {
      to.write(chunk);
      return;
    }
    q.push(chunk, Date.now(), d);
    if (q.bytes > HIGH_WATER && !paused) {
      paused = true;
      from.pause();
    }
    if (!timer) timer = setTimeout(flush, Math.max(0, (q.nextDue() as number) - Date.now()));
  });
  // A full close without a FIN (e.g. the peer process died) is treated like a FIN: the other
  // side gets what is still queued, then its own FIN.
  const onEnd = (): void => {
    if (ended) return;
    ended = true;
    if (q.empty && !to.destroyed) to.end();
  };
  from.on("end", onEnd);
  from.on("close", onEnd);
}

/** What the daemon serves. */
export interface DelayProxyConfig {
  /** Lab id (appears in the daemon's argv so stale-lab cleanup can recognise it). */
  labId: string;
  /** Exit when this process is gone: an orphaned proxy would hold sockets forever. */
  ownerPid: number;
  /** Unix socket answering JSON-line requests `{"op":"latency","host":"h","ms":N}` / `{"op":"ping"}`. */
  controlSocket: string;
  hosts: Array<{ name: string; listen: string; target: { host: string; port: number } }>;
}

/** Run the daemon until its owner dies or its control socket file is removed. */
export function runDelayProxy(config: DelayProxyConfig): void {
  const latency = new Map<string, number>();
  const servers: net.Server[] = [];
  let pending = config.hosts.length + 1;
  const ready = (): void => {
    if (--pending === 0) process.stdout.write("ready\n");
  };
  const listenUnix = (server: net.Server, file: string): void => {
    try {
      fs.unlinkSync(file);
    } catch {
      // no old socket
    }
    server.listen(file, ready);
    servers.push(server);
  };

  for (const h of config.hosts) {
    latency.set(h.name, 0);
    const server = net.createServer({ allowHalfOpen: true }, (client) => {
      const upstream = net.connect({ host: h.target.host, port: h.target.port, allowHalfOpen: true });
      const oneWay = (): number => (latency.get(h.name) ?? 0) / 2;
      const kill = (): void => {
        client.destroy();
        upstream.destroy();
      };
      client.on("error", kill);
      upstream.on("error", kill);
      delayPipe(client, upstream, oneWay);
      delayPipe(upstream, client, oneWay);
    });
    listenUnix(server, h.listen);
  }

  const control = net.createServer((conn) => {
    let buf = "";
    conn.on("data", (b) => {
      buf += b.toString("utf8");
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        conn.write(JSON.stringify(answer(line)) + "\n");
      }
    });
    conn.on("error", () => undefined);
  });
  const answer = (line: string): { ok: boolean; error?: string; latency?: Record<string, number> } => {
    try {
      const req = JSON.parse(line) as { op?: string; host?: string; ms?: number };
      if (req.op === "ping") return { ok: true, latency: Object.fromEntries(latency) };
      if (req.op === "latency") {
        if (typeof req.host !== "string" || !latency.has(req.host))
          return { ok: false, error: `unknown host ${JSON.stringify(req.host)}` };
        if (typeof req.ms !== "number" || !Number.isFinite(req.ms) || req.ms < 0)
          return { ok: false, error: `bad ms ${JSON.stringify(req.ms)}` };
        latency.set(req.host, req.ms);
        return { ok: true };
      }
      return { ok: false, error: `unknown op ${JSON.stringify(req.op)}` };
    } catch (e) {
      return { ok: false, error: String(e) };
    }
  };
  listenUnix(control, config.controlSocket);

  const watchdog = setInterval(() => {
    let alive = true;
    try {
      process.kill(config.ownerPid, 0);
    } catch {
      alive = false;
    }
    if (!alive || !fs.existsSync(config.controlSocket)) process.exit(0);
  }, 500);
  watchdog.unref();
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write("usage: delay-proxy <config.json> [lab id]\n");
    process.exit(2);
  }
  runDelayProxy(JSON.parse(fs.readFileSync(file, "utf8")) as DelayProxyConfig);
}
