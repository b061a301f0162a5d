/**
 * weave-lab on real Weave 2.8.1 against what Weave itself costs, measured in the same run on the
 * same Docker-in-Docker hosts (test/lab/dind.ts; `test/dind/prepare.sh` builds them, as `npm test`
 * does). Figures, each with its floor and the ratio:
 * - `textbook up / floor` (target ≤ 1.2): routers on 4 hosts, the gate, web1@docker1,
 *   web2@docker2, web1@docker3. Floor: the slowest of four parallel `weave launch` (the same
 *   argv weave-lab builds), plus one `docker run` and one `weave attach` on one host.
 * - `destroy / floor` (target ≤ 1.2). Floor: four parallel `weave reset` plus one `docker rm -f`.
 * - `second up: weave CLI calls` (target 0): a second `up` of the same lab.
 * - `up N hosts / up 1 host` for N in WEAVE_LAB_BENCH_SCALE (default 4,8): routers and gate only,
 *   one new lab per N; near 1 when hosts are handled in parallel (2 cores here: expect some rise).
 * Runs about 5 minutes for the defaults (16 hosts add about 5 more: WEAVE_LAB_BENCH_SCALE=4,8,16).
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

async function textbook(s: DindSettings): Promise<BenchResult[]> {
  const hosts = ["docker1", "docker2", "docker3", "docker4"];
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
    const launchArgs: Record<string, string> = {};
    for (const h of plan.hosts)
      launchArgs[h.name] = h.launch.argv
        .slice(2)
        .map((a) => `'${a.replace(/'/g, "'\\''")}'`)
        .join(" ");
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
    return [
      { name: "4 DinD hosts up (healthy)", value: hostsUp / 1000, unit: "s" },
      {
        name: "textbook up / floor",
        value: up / floor.up,
        unit: "x",
        target: 1.2,
        note: `up ${(up / 1000).toFixed(1)} s, floor ${(floor.up / 1000).toFixed(1)} s`,
      },
      {
        name: "textbook destroy / floor",
        value: destroy / floor.destroy,
        unit: "x",
        target: 1.2,
        note: `destroy ${(destroy / 1000).toFixed(1)} s, floor ${(floor.destroy / 1000).toFixed(1)} s`,
      },
      {
        name: "second up: weave CLI calls",
        value: cliCalls,
        unit: "calls",
        target: 0,
        ratio: cliCalls === 0 ? 0 : Infinity,
      },
    ];
  } finally {
    setLogger(undefined);
    await closeAll();
    await lab.destroy();
  }
}

async function upTime(s: DindSettings, n: number): Promise<number> {
  const lab = await createDindLab(
    Array.from({ length: n }, (_, i) => `host${i + 1}`),
    s,
  );
  try {
    const spec = specForLab(lab, {
      name: `bench-scale${n}`,
      network: { allocRange: "10.40.0.0/16", consensusTimeoutSeconds: 300 },
    });
    const engine = new Engine();
    const t = performance.now();
    await engine.up(labResources(spec).resources);
    const ms = since(t);
    await engine.destroy();
    return ms;
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
    const one = await upTime(s, 1);
    out.push({ name: "up 1 host (routers + gate)", value: one / 1000, unit: "s" });
    for (const n of sizes) {
      const ms = await upTime(s, n);
      out.push({
        name: `up ${n} hosts / up 1 host`,
        value: ms / one,
        unit: "x",
        note: `${(ms / 1000).toFixed(1)} s`,
      });
    }
  }
  return out;
}
