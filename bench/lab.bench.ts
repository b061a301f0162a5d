/**
 * Namespace lab up+down times. Targets: 4 hosts < 10 s, 32 hosts < 60 s (what integration tests
 * and the 32-host scale tests can afford). "up" ends when every host answers SSH through its
 * proxy; "down" ends when nothing of the lab is left (asserted, so a fast but leaky teardown
 * cannot pass).
 *
 * Then the faults' timing on a 2-host lab, which the integration tests assert only by outcome and
 * order: what `setLatency` adds to an SSH round trip (median of 7, against the set delay), how
 * fast ssh is refused after `stopSshd`, and how long ssh takes to give up after `cutLink`.
 */
import { createLab, leftoversOf, type TestLab } from "../test/lab";
import { catSession } from "../test/lab/cat-session";
import type { BenchResult } from "./run";

async function upDown(hosts: number): Promise<{ up: number; down: number }> {
  const t0 = performance.now();
  const lab = await createLab({ hosts });
  const t1 = performance.now();
  // Prove the lab is usable, not just started: one command on the last host.
  const r = await lab.ssh(lab.hosts[hosts - 1].name, "true");
  if (r.code !== 0) throw new Error(`bench: ssh to ${lab.hosts[hosts - 1].name} failed: ${r.stderr}`);
  const t2 = performance.now();
  await lab.destroy();
  const t3 = performance.now();
  const left = leftoversOf(lab.id);
  if (left.netns.length + left.links.length + left.pids.length + left.rules.length > 0 || left.dir) {
    throw new Error(`bench: lab ${lab.id} left ${JSON.stringify(left)}`);
  }
  return { up: t1 - t0, down: t3 - t2 };
}

/** A `cat` session whose `rtt()` times one echo (one round trip). */
async function rttSession(lab: TestLab, host: string): Promise<{ rtt(): Promise<number>; close(): void }> {
  const s = await catSession(lab, host);
  return {
    rtt: async () => {
      const t0 = performance.now();
      await s.echo();
      return performance.now() - t0;
    },
    close: s.close,
  };
}

async function medianOf(n: number, f: () => Promise<number>): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) xs.push(await f());
  xs.sort((a, b) => a - b);
  return xs[Math.floor(n / 2)];
}

export async function faults(): Promise<BenchResult[]> {
  const lab = await createLab({ hosts: 2 });
  const out: BenchResult[] = [];
  try {
    const s = await rttSession(lab, "host2");
    try {
      const base = await medianOf(7, s.rtt);
      out.push({ name: "ssh round trip, no latency (median of 7)", value: +base.toFixed(1), unit: "ms" });
      for (const set of [120, 40]) {
        await lab.faults.setLatency("host2", set);
        const added = (await medianOf(7, s.rtt)) - base;
        out.push({
          name: `setLatency ${set} ms: added to a round trip (median of 7)`,
          value: +added.toFixed(1),
          unit: "ms",
          target: set * 1.5,
          note: `${(added / set).toFixed(2)}x the set delay`,
        });
      }
      await lab.faults.setLatency("host2", 0);
      const off = (await medianOf(7, s.rtt)) - base;
      out.push({
        name: "setLatency 0: left on a round trip (median of 7)",
        value: +off.toFixed(1),
        unit: "ms",
        target: 30,
      });
    } finally {
      s.close();
      await lab.faults.setLatency("host2", 0);
    }
    await lab.faults.stopSshd("host2");
    try {
      const r = await lab.ssh("host2", "true");
      if (r.code !== 255) throw new Error(`bench: ssh to a stopped sshd gave ${r.code}`);
      out.push({ name: "stopSshd: ssh refused after", value: r.durationMs, unit: "ms", target: 4000 });
    } finally {
      await lab.faults.startSshd("host2");
    }
    await lab.faults.cutLink("host1");
    try {
      const r = await lab.ssh("host1", "true", { timeoutMs: 30_000 });
      out.push({
        name: "cutLink: ssh gives up (its 5 s ConnectTimeout) after",
        value: r.durationMs,
        unit: "ms",
        target: 12_000,
        note: `exit ${r.code}`,
      });
    } finally {
      await lab.faults.restoreLink("host1");
    }
  } finally {
    await lab.destroy();
  }
  return out;
}

export default async function bench(): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  for (const [hosts, target] of [
    [4, 10_000],
    [32, 60_000],
  ] as const) {
    const { up, down } = await upDown(hosts);
    const total = Math.round(up + down);
    out.push({
      name: `lab ${hosts} hosts up+down`,
      value: total,
      unit: "ms",
      target,
      ratio: +(total / target).toFixed(3),
    });
    out.push({ name: `lab ${hosts} hosts up`, value: Math.round(up), unit: "ms" });
    out.push({ name: `lab ${hosts} hosts down`, value: Math.round(down), unit: "ms" });
  }
  out.push(...(await faults()));
  return out;
}

if (require.main === module) {
  bench().then(
    (r) => console.table(r),
    (e: Error) => {
      console.error(e.message);
      process.exit(1);
    },
  );
}
