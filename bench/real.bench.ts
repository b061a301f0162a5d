/**
 * weave-lab on real Weave 2.8.1 against what Weave itself costs, measured in the same run on the
 * same Docker-in-Docker hosts (test/lab/dind.ts; `test/dind/prepare.sh` builds them, as `npm test`
 * does). Figures, each with its floor and the ratio:
 * - `textbook up / floor` (target ≤ 1.2): routers on 4 hosts, the gate, web1@docker1,
 *   web2@docker2, web1@docker3. Floor: the slowest of four parallel `weave launch` (the same
 *   argv weave-lab builds), plus one `docker run` and one `weave attach` on one host.
 * - `destroy / floor` (target ≤ 1.2). Floor: four parallel `weave reset` plus one `docker rm -f`.
 * - `second up: weave CLI calls` (target 0): a second `up` of the same lab.
 *   Each of these is the best of WEAVE_LAB_BENCH_ROUNDS rounds (default 2), floor and weave-lab
 *   alike, so one slow moment of a busy machine does not decide a ratio.
 * - `up N hosts / up 1 host` for N in WEAVE_LAB_BENCH_SCALE (default 4,8): routers and gate only,
 *   one new lab per N. All hosts share this machine's cores, so Weave's own cost grows with N
 *   here: `floor N / floor 1` (parallel `weave launch` on N hosts) shows by how much, and
 *   `up N / floor N` what weave-lab adds on top (flat when weave-lab's share does not grow).
 * Runs about 7 minutes for the defaults (16 hosts add about 6 more: WEAVE_LAB_BENCH_SCALE=4,8,16).
 */
import { closeAll, setLogger, type RemoteLogEvent } from "../components/remote";
import { clearDnsArgsCache } from "../components/providers/dns-args";
import { Engine } from "../test/engine/engine";
import { labResources } from "../test/engine/containers";
import { specForLab } from "../test/engine/network";
import { createDindLab, preparedDindSettings, type DindSettings } from "../test/lab/dind";
import type { TestLab } from "../test/lab";
import { REPO_ROOT } from "../test/engine/serialize";
import type { BenchResult } from "./run";

const RANGE = "172.16.16.0/24";

const since = (t: number): number => performance.now() - t;

async function sshOk(lab: TestLab, host: string, command: string): Promise<number> {
  const t = performance.now();
  const r = await lab.ssh(host, command, { timeoutMs: 180_000 });
  if (r.code !== 0) throw new Error(`${host}: \`${command}\` exited ${r.code}: ${r.stderr.trim()}`);
  return since(t);
}

/** What Weave itself costs on these hosts: launch, run, attach; reset, rm. */
async function floors(
  lab: TestLab,
  launchArgs: Record<string, string>,
): Promise<{ up: number; destroy: number }> {
  const launch = Math.max(
    ...(await Promise.all(
      Object.entries(launchArgs).map(([h, args]) =>
        sshOk(lab, h, `CHECKPOINT_DISABLE=1 weave launch ${args} >/dev/null`),
      ),
    )),
  );
  const run = await sshOk(lab, "docker1", "docker run -d --name floor lab/web:1 >/dev/null");
  const attach = await sshOk(lab, "docker1", "weave attach floor >/dev/null");
  const rm = await sshOk(lab, "docker1", "docker rm -f floor >/dev/null");
  const reset = Math.max(
    ...(await Promise.all(Object.keys(launchArgs).map((h) => sshOk(lab, h, "weave reset >/dev/null 2>&1")))),
  );
  return { up: launch + run + attach, destroy: reset + rm };
}

/** The `weave launch` arguments weave-lab builds for each host of `plan`, quoted for a shell. */
function launchArgsOf(plan: {
  hosts: { name: string; launch: { argv: string[] } }[];
}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of plan.hosts)
    out[h.name] = h.launch.argv
      .slice(2)
      .map((a) => `'${a.replace(/'/g, "'\\''")}'`)
      .join(" ");
  return out;
}

async function textbook(s: DindSettings): Promise<BenchResult[]> {
  const hosts = ["docker1", "docker2", "docker3", "docker4"];
  const rounds = Math.max(1, Number(process.env.WEAVE_LAB_BENCH_ROUNDS ?? 2) || 1);
  const t0 = performance.now();
  const lab = await createDindLab(hosts, s);
  const hostsUp = since(t0);
  const events: RemoteLogEvent[] = [];
  setLogger((e) => events.push(e));
  try {
    const spec = {
      ...specForLab(lab, {
        name: "bench-textbook",
        network: { allocRange: RANGE, consensusTimeoutSeconds: 120 },
      }),
      containers: [
        { name: "web1", host: "docker1", image: "lab/web:1" },
        { name: "web2", host: "docker2", image: "lab/web:1" },
        { name: "web1", host: "docker3", image: "lab/web:1" },
      ],
    };
    const { plan, resources } = labResources(spec);
    // The floor launches with the same argv weave-lab builds (names, seed, range, peers).
    const launchArgs = launchArgsOf(plan);
    const best = { floorUp: Infinity, floorDestroy: Infinity, up: Infinity, destroy: Infinity, cliCalls: 0 };
    for (let round = 0; round < rounds; round++) {
      const floor = await floors(lab, launchArgs);
      const engine = new Engine();
      clearDnsArgsCache();
      let t = performance.now();
      await engine.up(resources);
      const up = since(t);
      const mark = events.length;
      await engine.up(resources);
      const cliCalls = events
        .slice(mark)
        .filter((e) => e.message.startsWith("exec ") && /(^|\/)weave\s/.test(e.message.slice(5))).length;
      t = performance.now();
      await engine.destroy();
      const destroy = since(t);
      best.floorUp = Math.min(best.floorUp, floor.up);
      best.floorDestroy = Math.min(best.floorDestroy, floor.destroy);
      best.up = Math.min(best.up, up);
      best.destroy = Math.min(best.destroy, destroy);
      best.cliCalls = Math.max(best.cliCalls, cliCalls);
    }
    const sec = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
    return [
      { name: "4 DinD hosts up (healthy)", value: hostsUp / 1000, unit: "s" },
      {
        name: "textbook up / floor",
        value: best.up / best.floorUp,
        unit: "x",
        target: 1.2,
        note: `up ${sec(best.up)}, floor ${sec(best.floorUp)}, best of ${rounds}`,
      },
      {
        name: "textbook destroy / floor",
        value: best.destroy / best.floorDestroy,
        unit: "x",
        target: 1.2,
        note: `destroy ${sec(best.destroy)}, floor ${sec(best.floorDestroy)}, best of ${rounds}`,
      },
      {
        name: "second up: weave CLI calls",
        value: best.cliCalls,
        unit: "calls",
        target: 0,
        ratio: best.cliCalls === 0 ? 0 : Infinity,
      },
    ];
  } finally {
    setLogger(undefined);
    await closeAll();
    await lab.destroy();
  }
}

/** One lab of `n` hosts: Weave's own parallel launch (then reset), then weave-lab's up (then destroy). */
async function scaleRun(s: DindSettings, n: number): Promise<{ up: number; floor: number }> {
  const lab = await createDindLab(
    Array.from({ length: n }, (_, i) => `host${i + 1}`),
    s,
  );
  try {
    const spec = specForLab(lab, {
      name: `bench-scale${n}`,
      network: { allocRange: "10.40.0.0/16", consensusTimeoutSeconds: 300 },
    });
    const { plan, resources } = labResources(spec);
    const launchArgs = launchArgsOf(plan);
    const floor = Math.max(
      ...(await Promise.all(
        Object.entries(launchArgs).map(([h, args]) =>
          sshOk(lab, h, `CHECKPOINT_DISABLE=1 weave launch ${args} >/dev/null`),
        ),
      )),
    );
    await Promise.all(Object.keys(launchArgs).map((h) => sshOk(lab, h, "weave reset >/dev/null 2>&1")));
    const engine = new Engine();
    const t = performance.now();
    await engine.up(resources);
    const up = since(t);
    await engine.destroy();
    return { up, floor };
  } finally {
    await closeAll();
    await lab.destroy();
  }
}

export default async function bench(): Promise<BenchResult[]> {
  process.env.CHECKPOINT_DISABLE = "1";
  const s = preparedDindSettings(REPO_ROOT);
  const out = await textbook(s);
  const sizes = (process.env.WEAVE_LAB_BENCH_SCALE ?? "4,8")
    .split(",")
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 1);
  if (sizes.length > 0) {
    const one = await scaleRun(s, 1);
    out.push({ name: "up 1 host (routers + gate)", value: one.up / 1000, unit: "s" });
    out.push({ name: "up 1 host / floor 1", value: one.up / one.floor, unit: "x" });
    for (const n of sizes) {
      const r = await scaleRun(s, n);
      out.push({
        name: `up ${n} hosts / up 1 host`,
        value: r.up / one.up,
        unit: "x",
        note: `${(r.up / 1000).toFixed(1)} s`,
      });
      out.push({
        name: `floor ${n} hosts / floor 1 host`,
        value: r.floor / one.floor,
        unit: "x",
        note: `parallel weave launch ${(r.floor / 1000).toFixed(1)} s`,
      });
      out.push({ name: `up ${n} hosts / floor ${n} hosts`, value: r.up / r.floor, unit: "x" });
    }
  }
  return out;
}
