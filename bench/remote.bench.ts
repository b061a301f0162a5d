/**
 * The transport's figures on a 2-host namespace lab with the Weave double (realistic CLI timing):
 * - one `GET /status` through the SSH port forward vs one `weave status` exec (the double, like
 *   the real script, pays a helper-container delay per call) and vs a bare `exec(["true"])`;
 * - SSH connections opened per host while many operations run through the pool (target 1);
 * - how promptly deadlines and connect budgets end a wait (the integration tests assert that they
 *   do and what the error says, not how long it took);
 * - the double's helper-container delay (`cliDelayMs`): what it adds to a `weave` call, and that a
 *   `docker` call pays none (the faithfulness suite asserts only that the setting is honoured).
 * Falls back to `exec(["true"])` as the comparison when the double is not built (`npm run build`).
 */
import * as fs from "fs";
import * as path from "path";
import {
  closeAll,
  connect,
  getConnection,
  resetStats,
  stats,
  type ConnectParams,
  type HostConnection,
} from "../components/remote";
import { REPO_ROOT, createLab, writeDoubleConfig, type LabHost, type TestLab } from "../test/lab";
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

/** Milliseconds until `op` settles (resolved or rejected: a deadline's error is the expected end). */
async function settleMs(op: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await op().catch(() => undefined);
  return performance.now() - t0;
}

/**
 * Deadlines and connect budgets: each figure is how long the wait lasted, its target the bound
 * the integration tests used to assert (with room for a loaded machine).
 */
async function deadlines(lab: TestLab): Promise<BenchResult[]> {
  const [a, b] = lab.hosts;
  const out: BenchResult[] = [];
  const c = await connect(params(a));
  try {
    const ms = await settleMs(() => c.exec(["sleep", "97"], { timeoutMs: 800, what: "the bench's nap" }));
    out.push({
      name: "exec deadline 800 ms: error after",
      value: Math.round(ms),
      unit: "ms",
      target: 3000,
      note: `${(ms / 800).toFixed(2)}x the deadline`,
    });
  } finally {
    await c.close();
  }
  const oldKey = b.hostKey;
  await lab.faults.replaceHostKey(b.name);
  const mismatch = await settleMs(() =>
    connect({ ...params(b), hostKey: oldKey, connectTimeoutSeconds: 30 }),
  );
  out.push({
    name: "host key mismatch (30 s budget): refused after",
    value: Math.round(mismatch),
    unit: "ms",
    target: 5000,
    note: "not retried",
  });
  await lab.faults.stopSshd(b.name);
  try {
    const ms = await settleMs(() => connect({ ...params(b), connectTimeoutSeconds: 3 }));
    out.push({
      name: "connect, sshd stopped, 3 s budget: gave up after",
      value: Math.round(ms),
      unit: "ms",
      target: 4500,
      note: `${(ms / 3000).toFixed(2)}x the budget`,
    });
  } finally {
    await lab.faults.startSshd(b.name);
  }
  await lab.faults.cutLink(b.name);
  try {
    const ms = await settleMs(() => connect({ ...params(b), connectTimeoutSeconds: 3 }));
    out.push({
      name: "connect, link down, 3 s budget: gave up after",
      value: Math.round(ms),
      unit: "ms",
      target: 5000,
      note: `${(ms / 3000).toFixed(2)}x the budget`,
    });
  } finally {
    await lab.faults.restoreLink(b.name);
  }
  return out;
}

/** The double's `cliDelayMs`: fastest of `n` SSH round trips of a command, with the delay set and not. */
async function cliDelay(lab: TestLab): Promise<BenchResult[]> {
  const h = lab.hosts[0];
  if (!h.home || !DOUBLE_BUILT) return [];
  const c = await connect(params(h));
  const fastest = async (argv: string[], n = 4): Promise<number> => {
    const xs: number[] = [];
    for (let i = 0; i < n; i++) xs.push(await settleMs(() => c.exec([...argv], { allowFailure: true })));
    return Math.min(...xs);
  };
  const SET = 650;
  try {
    await writeDoubleConfig(h.home, { cliDelayMs: SET });
    const slow = await fastest([WEAVE, "ps"]);
    const docker = await fastest([path.join(REPO_ROOT, "test", "double", "path", "docker"), "ps", "-q"]);
    await writeDoubleConfig(h.home, { cliDelayMs: 0 });
    const fast = await fastest([WEAVE, "ps"]);
    return [
      {
        name: `weave ps: added by cliDelayMs ${SET} (fastest of 4)`,
        value: Math.round(slow - fast),
        unit: "ms",
        target: SET * 1.5,
        note: `${((slow - fast) / SET).toFixed(2)}x the set delay; with it ${Math.round(slow)} ms, without ${Math.round(fast)} ms`,
      },
      {
        name: `docker ps with cliDelayMs ${SET} (fastest of 4)`,
        value: Math.round(docker),
        unit: "ms",
        target: Math.round(fast + SET / 2),
        note: `${(docker / slow).toFixed(2)}x weave ps with the delay: docker calls pay none`,
      },
    ];
  } finally {
    await writeDoubleConfig(h.home, { cliDelayMs: 650 });
    await c.close();
  }
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
    await closeAll();
    results.push(...(await cliDelay(lab)));
    results.push(...(await deadlines(lab)));
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
