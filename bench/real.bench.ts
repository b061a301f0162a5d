/**
 * weave-lab on real Weave 2.8.1 against what Weave itself costs, measured in the same run on the
 * same Docker-in-Docker hosts (test/lab/dind.ts; `test/dind/prepare.sh` builds them, as `npm test`
 * does). Figures, each with its floor and the ratio:
 * - `textbook up / floor` (target ≤ 1.2): routers on 4 hosts, the gate, web1@docker1,
 *   web2@docker2, web1@docker3. Floor: the slowest of four parallel `weave launch` (the same
 *   argv weave-lab builds), plus one `docker run` and one `weave attach` on one host: the
 *   textbook's steps. weave-lab attaches by the same script inside the router container, which
 *   saves the helper container's start, so this ratio can fall below 1 on a quiet machine.
 * - `destroy / floor` (target ≤ 1.2). Floor: four parallel `weave reset` plus one `docker rm -f`.
 * - `second up: weave CLI calls` (target 0): a second `up` of the same lab.
 *   Each of these is the best of WEAVE_LAB_BENCH_ROUNDS rounds (default 2), floor and weave-lab
 *   alike, so one slow moment of a busy machine does not decide a ratio.
 * - `up N hosts / up 1 host` for N in WEAVE_LAB_BENCH_SCALE (default 4,8): routers and gate only,
 *   one new lab per N. All hosts share this machine's cores, so Weave's own cost grows with N
 *   here: `floor N / floor 1` shows by how much, and `up N / floor N` what weave-lab adds on top
 *   (flat when weave-lab's share does not grow). Floor N: parallel `weave launch` on N hosts
 *   until every router has converged (all connections established, a ring), as by reading
 *   `weave status`; at 16 hosts Weave's own mesh takes tens of seconds to connect every pair.
 *   Whether a connection stalls (sleeve heartbeats unanswered until Weave gives up on it, about a
 *   minute) varies from run to run, so `up N / its routers converged` compares weave-lab's up
 *   with the moment the same watch saw every router converge during that very up.
 * Runs about 7 minutes for the defaults; WEAVE_LAB_BENCH_SCALE=4,8,16 took about 19 minutes in all.
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
const sec = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

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

/**
 * A shell loop for one of `n` hosts that returns once its router, by its own `/status`, is
 * connected to every other peer, knows all `n` with every connection established, and has a ring
 * (`GET /ring`, what `weave prime` asks, answers once there is one); then prints the time in ms.
 * This is what a person would wait for by reading `weave status`, minus the helper container each
 * `weave status` starts. Bash builtins between polls, so the watch adds little load.
 */
function convergedWatch(n: number): string {
  const k = n - 1;
  const connected =
    k === 0
      ? `$s == *"Connections: 0"* && $s == *"Peers: 1"*`
      : `$s == *"Connections: ${k} (${k} established)"* && $s == *"Peers: ${n} (with ${n * k} established"*`;
  return (
    `while :; do s=$(curl -s -m 2 127.0.0.1:6784/status 2>/dev/null); [[ ${connected} ]] && break; sleep 0.5; done; ` +
    `curl -sf -m 170 -o /dev/null 127.0.0.1:6784/ring && date +%s%3N`
  );
}

/**
 * Runs `prefix` then {@link convergedWatch} on every host; answers when each router converged
 * (and, with a prefix, when the prefix was done), in ms after `t0`.
 */
async function watchAll(
  lab: TestLab,
  n: number,
  commands: Record<string, string>,
  t0: number,
): Promise<{ launched: number; converged: number }> {
  const watch = convergedWatch(n);
  const byHost = await Promise.all(
    Object.entries(commands).map(async ([h, prefix]) => {
      const r = await lab.ssh(h, `${prefix}date +%s%3N && ${watch}`, { timeoutMs: 600_000 });
      const [launched, converged] = r.stdout.trim().split("\n").map(Number);
      if (r.code !== 0 || !(converged > 0))
        throw new Error(`${h}: launch or convergence watch failed (${r.code}): ${r.stderr.trim()}`);
      return { launched: launched - t0, converged: converged - t0 };
    }),
  );
  return {
    launched: Math.max(...byHost.map((b) => b.launched)),
    converged: Math.max(...byHost.map((b) => b.converged)),
  };
}

/**
 * One lab of `n` hosts: Weave's own parallel launch, each host then waiting until its router has
 * converged ({@link convergedWatch}), then reset; then weave-lab's up (routers and gate), with the
 * same watch on every host meanwhile, and destroy.
 */
async function scaleRun(
  s: DindSettings,
  n: number,
): Promise<{ up: number; launch: number; floor: number; convergedInUp: number }> {
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
    const launches = Object.fromEntries(
      Object.entries(launchArgs).map(([h, args]) => [
        h,
        `CHECKPOINT_DISABLE=1 weave launch ${args} >/dev/null && `,
      ]),
    );
    const floor = await watchAll(lab, n, launches, Date.now());
    await Promise.all(Object.keys(launchArgs).map((h) => sshOk(lab, h, "weave reset >/dev/null 2>&1")));
    const engine = new Engine();
    const t0 = Date.now();
    const watched = watchAll(lab, n, Object.fromEntries(Object.keys(launchArgs).map((h) => [h, ""])), t0);
    await engine.up(resources);
    const up = Date.now() - t0;
    const convergedInUp = (await watched).converged;
    await engine.destroy();
    return { up, launch: floor.launched, floor: floor.converged, convergedInUp };
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
        note: `parallel weave launch ${sec(r.launch)}, converged ${sec(r.floor)}`,
      });
      out.push({ name: `up ${n} hosts / floor ${n} hosts`, value: r.up / r.floor, unit: "x" });
      out.push({
        name: `up ${n} hosts / its routers converged`,
        value: r.up / r.convergedInUp,
        unit: "x",
        note: `every router converged ${sec(r.convergedInUp)} into the up`,
      });
    }
  }
  return out;
}
