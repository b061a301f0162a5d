/**
 * Containers reconciled across hosts in parallel. For N = 4, 16, 32 namespace hosts with the
 * Weave double at realistic CLI timing (650 ms per weave call) and 20 ms added to every SSH round
 * trip (`lab.faults.setLatency`), two containers per host are created by one engine `up` after
 * the network is up. Figures:
 * - `total / slowest host` (target ≤ 1.3): wall time of the whole up over the slowest host's own
 *   span in that run (first container step started → last one ended). Near 1 when hosts are
 *   reconciled in parallel, near N when one after another.
 * - `total / one host alone` (no target, for honesty): the same total over the time one host's
 *   two containers take when reconciled alone, so contention on this machine (every double CLI
 *   call is a Node process; the machine has few cores) shows up too.
 * The network itself is brought up first, with the CLI delay and the latency off (it is not what
 * is measured here).
 */
import { closeAll } from "../components/remote";
import { clearDnsArgsCache } from "../components/providers/dns-args";
import { containerProvider } from "../components/providers/container";
import type { ContainerSpec } from "../components/spec";
import { Engine, type Step } from "../test/engine/engine";
import { containerName, labResources } from "../test/engine/containers";
import { specForLab } from "../test/engine/network";
import { createLab, writeDoubleConfig, type TestLab } from "../test/lab";
import type { BenchResult } from "./run";

const LATENCY_MS = 20;

function containersFor(hosts: string[]): ContainerSpec[] {
  return hosts.flatMap((h) => [
    { name: "web", host: h, image: "lab/web:1" },
    { name: "api", host: h, image: "lab/web:1", dnsNames: [`api-${h}`] },
  ]);
}

/** Span of one host's container steps within a run. */
function hostSpan(steps: Step[], host: string, startedAt: Map<string, number>): number {
  const mine = steps.filter((s) => s.name.startsWith(containerName(`${host}/`)));
  const ends = mine.map((s) => (startedAt.get(s.name) ?? 0) + s.durationMs);
  const starts = mine.map((s) => startedAt.get(s.name) ?? 0);
  return Math.max(...ends) - Math.min(...starts);
}

/** Engine steps record durations only: wrap the provider to note when each create starts. */
function timedProviders(startedAt: Map<string, number>, t0: () => number) {
  return {
    ...containerProvider,
    create: async (inputs: { key: string }) => {
      startedAt.set(containerName(inputs.key), t0());
      return containerProvider.create(inputs);
    },
  };
}

async function measure(n: number): Promise<BenchResult[]> {
  const lab: TestLab = await createLab({ hosts: n, double: { cliDelayMs: 0 } });
  try {
    const names = lab.hosts.map((h) => h.name);
    const base = specForLab(lab, {
      name: `bench${n}`,
      network: { allocRange: "10.40.0.0/16", consensusTimeoutSeconds: 300 },
    });
    const engine = new Engine();
    await engine.up(labResources(base, { timeouts: { launchMs: 600_000 } }).resources);
    // Realistic CLI timing and SSH latency from here on (the double re-reads its config on every call).
    for (const h of names) await lab.faults.setLatency(h, LATENCY_MS);
    for (const h of lab.hosts) if (h.home) await writeDoubleConfig(h.home, { cliDelayMs: 650 });

    let t = performance.now();
    const startedAt = new Map<string, number>();
    const provider = timedProviders(startedAt, () => performance.now() - t);
    // One host alone (each run starts without cached `weave dns-args`).
    clearDnsArgsCache();
    const alone = { ...base, containers: containersFor([names[0]]) };
    t = performance.now();
    await engine.up(labResources(alone, { containerProvider: provider }).resources);
    const aloneMs = performance.now() - t;
    await engine.up(labResources(base, { containerProvider: provider }).resources);

    // Every host at once.
    startedAt.clear();
    clearDnsArgsCache();
    const all = { ...base, containers: containersFor(names) };
    t = performance.now();
    const steps = await engine.up(labResources(all, { containerProvider: provider }).resources);
    const totalMs = performance.now() - t;
    const created = steps.filter((s) => s.kind === "create").length;
    if (created !== 2 * n) throw new Error(`bench: expected ${2 * n} containers created, got ${created}`);
    const slowest = Math.max(...names.map((h) => hostSpan(steps, h, startedAt)));

    for (const h of lab.hosts) if (h.home) await writeDoubleConfig(h.home, { cliDelayMs: 0 });
    await engine.destroy();
    const ratio = +(totalMs / slowest).toFixed(3);
    return [
      {
        name: `${n} hosts x 2 containers: total / slowest host`,
        value: ratio,
        unit: "x",
        target: 1.3,
        ratio: +(ratio / 1.3).toFixed(3),
        note: `total ${Math.round(totalMs)} ms, slowest host ${Math.round(slowest)} ms`,
      },
      {
        name: `${n} hosts x 2 containers: total / one host alone`,
        value: +(totalMs / aloneMs).toFixed(3),
        unit: "x",
        note: `one host alone ${Math.round(aloneMs)} ms`,
      },
    ];
  } finally {
    await closeAll();
    await lab.destroy();
  }
}

export default async function bench(): Promise<BenchResult[]> {
  process.env.CHECKPOINT_DISABLE = "1";
  const out: BenchResult[] = [];
  // WEAVE_LAB_BENCH_SIZES="4,16" runs fewer sizes (debugging); the figure is for 4, 16 and 32.
  const sizes = (process.env.WEAVE_LAB_BENCH_SIZES ?? "4,16,32").split(",").map(Number);
  for (const n of sizes) out.push(...(await measure(n)));
  return out;
}

if (require.main === module) {
  bench().then(
    (r) => console.table(r),
    (e: Error) => {
      console.error(e.stack ?? e.message);
      process.exit(1);
    },
  );
}
