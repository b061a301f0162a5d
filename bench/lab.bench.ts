/**
 * Namespace lab up+down times. Targets: 4 hosts < 10 s, 32 hosts < 60 s (what integration tests
 * and the 32-host scale tests can afford). "up" ends when every host answers SSH through its
 * proxy; "down" ends when nothing of the lab is left (asserted, so a fast but leaky teardown
 * cannot pass).
 */
import { createLab, leftoversOf } from "../test/lab";
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
