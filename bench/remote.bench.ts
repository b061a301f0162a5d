/**
 * The transport's figures on a 2-host namespace lab with the Weave double (realistic CLI timing):
 * - one `GET /status` through the SSH port forward vs one `weave status` exec (the double, like
 *   the real script, pays a helper-container delay per call) and vs a bare `exec(["true"])`;
 * - SSH connections opened per host while many operations run through the pool (target 1).
 * Falls back to `exec(["true"])` as the comparison when the double is not built (`npm run build`).
 */
import * as fs from "fs";
import * as path from "path";
import {
  closeAll,
  getConnection,
  resetStats,
  stats,
  type ConnectParams,
  type HostConnection,
} from "../components/remote";
import { REPO_ROOT, createLab, type LabHost } from "../test/lab";
import type { BenchResult } from "./run";

const WEAVE = path.join(REPO_ROOT, "test", "double", "path", "weave");
const DOUBLE_BUILT = fs.existsSync(path.join(REPO_ROOT, "bin", "test", "double", "cli", "weave-main.js"));

function params(h: LabHost): ConnectParams {
  return {
    hostName: h.name,
    host: h.sshHost,
    port: h.sshPort,
    user: h.user,
    privateKey: h.privateKey,
    hostKey: h.hostKey,
    insecureIgnoreHostKey: false,
    sudo: false,
    connectTimeoutSeconds: 30,
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function timeIt(n: number, op: () => Promise<unknown>): Promise<number> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await op();
    out.push(performance.now() - t0);
  }
  return median(out);
}

export default async function bench(): Promise<BenchResult[]> {
  process.env.CHECKPOINT_DISABLE = "1";
  const lab = await createLab({ hosts: 2 });
  const results: BenchResult[] = [];
  try {
    const conns: HostConnection[] = lab.hosts.map((h) => getConnection(params(h)));
    const [c1] = conns;
    resetStats();
    await c1.exec(["true"]); // connect outside the timings

    let statusExec: number | undefined;
    let apiUp = false;
    if (DOUBLE_BUILT) {
      await c1.exec([WEAVE, "launch", "--ipalloc-range", "10.40.0.0/24"], {
        env: { CHECKPOINT_DISABLE: "1" },
        timeoutMs: 60_000,
        what: "the double's router to launch",
      });
      apiUp = (await c1.http("GET", "/status")).status === 200;
      statusExec = await timeIt(5, () => c1.exec([WEAVE, "status"], { env: { CHECKPOINT_DISABLE: "1" } }));
    }
    const trueExec = await timeIt(10, () => c1.exec(["true"]));
    if (apiUp) {
      const http = await timeIt(20, () => c1.http("GET", "/status"));
      results.push({
        name: "http GET /status via forward (median of 20)",
        value: +http.toFixed(1),
        unit: "ms",
        target: 100,
      });
      results.push({
        name: "exec weave status (double, median of 5)",
        value: Math.round(statusExec ?? 0),
        unit: "ms",
        note: `${((statusExec ?? 0) / http).toFixed(0)}x the HTTP read`,
      });
    } else {
      results.push({
        name: "http GET /status via forward",
        value: -1,
        unit: "ms",
        note: "double not built: run npm run build",
      });
    }
    results.push({
      name: "exec true (median of 10)",
      value: Math.round(trueExec),
      unit: "ms",
      note: "sshd session setup dominates",
    });

    // Many operations from "many providers": every handle comes from the pool.
    const ops: Array<Promise<unknown>> = [];
    for (let i = 0; i < 25; i++) {
      for (const h of lab.hosts) {
        const c = getConnection(params(h));
        ops.push(c.exec(["echo", String(i)]));
        if (apiUp && h === lab.hosts[0]) ops.push(c.http("GET", "/status"));
      }
    }
    await Promise.all(ops);
    const opened = stats().opened;
    const worst = Math.max(...lab.hosts.map((h) => opened[h.name] ?? 0));
    results.push({
      name: `SSH connections opened per host for ${ops.length} operations`,
      value: worst,
      unit: "connections",
      target: 1,
      note: JSON.stringify(opened),
    });
    if (apiUp) {
      await c1.exec([WEAVE, "reset"], { env: { CHECKPOINT_DISABLE: "1" }, allowFailure: true });
    }
  } finally {
    await closeAll();
    await lab.destroy();
  }
  return results;
}

if (require.main === module) {
  bench().then(
    (r) => console.table(r),
    (e: Error) => {
      console.error(e);
      process.exit(1);
    },
  );
}
