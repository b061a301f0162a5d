/**
 * The network layer's figures on namespace labs with the Weave double:
 * - SSH connections opened per host during one `up` of a four-host network (target 1: routers,
 *   ring probes and the gate share one pooled session per host);
 * - one state read of a host through the router API forward (`GET /report` + parse) vs one
 *   `weave status` call (the double pays the ~650 ms helper-container delay of the real CLI);
 * - one consensus poll of 32 hosts (every `/report` read concurrently in the verdict's
 *   `consensus` view, then the verdict; target < 200 ms).
 */
import { closeAll, getConnection, resetStats, stats } from "../components/remote";
import { observeAll } from "../components/providers/gate-ops";
import { defaultOpsEnv } from "../components/providers/ops-env";
import { fetchReport } from "../components/providers/router-read";
import { REPORT_CONSENSUS } from "../components/providers/router-status";
import { expectedFromGate } from "../components/providers/verdict-adapter";
import type { GateInputs } from "../components/providers/types";
import { parseReport } from "../components/weave/report";
import { consensusVerdict } from "../components/weave/verdict";
import { Engine } from "../test/engine/engine";
import { GATE, networkResources, specForLab, DOUBLE_WEAVE } from "../test/engine/network";
import { createLab } from "../test/lab";
import type { BenchResult } from "./run";

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = process.hrtime.bigint();
  const r = await fn();
  return [Number(process.hrtime.bigint() - t) / 1e6, r];
}

export default async function (): Promise<BenchResult[]> {
  process.env.CHECKPOINT_DISABLE = "1";
  const out: BenchResult[] = [];

  // Four hosts, realistic CLI timing.
  const lab4 = await createLab({ hosts: 4, double: { cliDelayMs: 650 } });
  try {
    const spec = specForLab(lab4, { network: { allocRange: "172.16.16.0/24" } });
    const { resources } = networkResources(spec);
    const engine = new Engine();
    resetStats();
    const [upMs] = await timed(() => engine.up(resources));
    const opened = Object.values(stats().opened);
    out.push({
      name: "network: SSH connections opened per host during one up (4 hosts)",
      value: Math.max(...opened),
      unit: "connections",
      target: 1,
      note: `${opened.length} hosts, total ${opened.reduce((a, b) => a + b, 0)}; up took ${Math.round(upMs)} ms with 650 ms CLI calls`,
    });
    const h = spec.hosts[0];
    const conn = getConnection({
      hostName: h.name,
      host: h.ssh!.host!,
      port: h.ssh!.port!,
      user: h.ssh!.user!,
      privateKey: h.ssh!.privateKey,
      hostKey: h.ssh!.hostKey,
      insecureIgnoreHostKey: false,
      sudo: false,
      connectTimeoutSeconds: 10,
    });
    const api: number[] = [];
    const cli: number[] = [];
    for (let i = 0; i < 7; i++) {
      api.push((await timed(() => fetchReport(conn)))[0]);
      cli.push(
        (await timed(() => conn.exec([DOUBLE_WEAVE, "status"], { env: { CHECKPOINT_DISABLE: "1" } })))[0],
      );
    }
    const a = median(api);
    const c = median(cli);
    out.push({
      name: "network: one host state read through the API forward (GET /report + parse)",
      value: Math.round(a * 10) / 10,
      unit: "ms",
      note: "median of 7",
    });
    out.push({
      name: "network: one `weave status` call (CLI, 650 ms helper delay)",
      value: Math.round(c),
      unit: "ms",
      note: "median of 7",
    });
    out.push({
      name: "network: API read / CLI read",
      value: Math.round((a / c) * 1000) / 1000,
      unit: "ratio",
      target: 0.1,
      note: `the API is ${Math.round(c / a)}× faster`,
    });
    await engine.destroy();
  } finally {
    await closeAll();
    await lab4.destroy();
  }

  // 32 hosts: one consensus poll.
  const lab32 = await createLab({ hosts: 32, double: { cliDelayMs: 0 } });
  try {
    const spec = specForLab(lab32, { network: { allocRange: "10.32.0.0/16", consensusTimeoutSeconds: 120 } });
    const { resources } = networkResources(spec, { timeouts: { launchMs: 120_000 } });
    const engine = new Engine();
    // The poll's cost does not depend on the verdict: measure it even if the 32-host mesh is slow to settle.
    const [upMs, upError] = await timed(() =>
      engine.up(resources).then(
        () => undefined,
        (e: Error) => e.message.split("\n").slice(0, 3).join(" / "),
      ),
    );
    const gateRes = resources.find((r) => r.name === GATE)!;
    const gate = (typeof gateRes.inputs === "function"
      ? gateRes.inputs((n) => engine.outputs(n))
      : gateRes.inputs) as unknown as GateInputs;
    const expected = expectedFromGate(gate, { checkPrediction: true });
    const env = defaultOpsEnv();
    const polls: number[] = [];
    const fetchMs: number[] = [];
    const parseMs: number[] = [];
    const verdictMs: number[] = [];
    const floorMs: number[] = [];
    const wholeMs: number[] = [];
    const VERSION_ONLY = `/report?format=${encodeURIComponent("{{.Version}}")}`;
    let bytes = 0;
    let healthy = true;
    for (let i = 0; i < 7; i++) {
      const [ms, v] = await timed(async () => consensusVerdict(expected, await observeAll(env, gate)));
      healthy = healthy && v.healthy;
      polls.push(ms);
      // Where the time goes: the transfer of every report (the gate's consensus view), then parsing them.
      const [f, bodies] = await timed(() =>
        Promise.all(
          gate.hosts.map(async (h) => (await env.connect(h.connection).http("GET", REPORT_CONSENSUS)).body),
        ),
      );
      fetchMs.push(f);
      // The same poll reading whole reports (what the gate read before it asked for its view only).
      wholeMs.push(
        (
          await timed(async () =>
            consensusVerdict(
              expected,
              await Promise.all(
                gate.hosts.map(async (h) => ({
                  host: h.host,
                  report: await fetchReport(env.connect(h.connection), 5_000, "full"),
                })),
              ),
            ),
          )
        )[0],
      );
      // The floor: the same 32 round trips carrying five bytes each.
      floorMs.push(
        (
          await timed(() =>
            Promise.all(gate.hosts.map((h) => env.connect(h.connection).http("GET", VERSION_ONLY))),
          )
        )[0],
      );
      bytes = bodies.reduce((a, b) => a + b.length, 0);
      const [p, observations] = await timed(async () =>
        bodies.map((b, k) => ({ host: gate.hosts[k].host, report: parseReport(b, "consensus") })),
      );
      parseMs.push(p);
      verdictMs.push((await timed(async () => consensusVerdict(expected, observations)))[0]);
    }
    out.push({
      name: "network: one consensus poll of 32 hosts (32 × /report concurrently + verdict)",
      value: Math.round(median(polls)),
      unit: "ms",
      target: 200,
      note:
        `median of 7 warm polls; of which fetch ${Math.round(median(fetchMs))} ms for ${Math.round(bytes / 1024)} KiB of reports (${Math.round(median(floorMs))} ms for \`{{.Version}}\` alone), parse ${Math.round(median(parseMs))} ms, verdict ${Math.round(median(verdictMs))} ms; ` +
        `the same poll reading whole reports ${Math.round(median(wholeMs))} ms; verdict healthy: ${healthy}; 32-host up ${upError ? `failed (${upError})` : "passed"} in ${Math.round(upMs / 1000)} s`,
    });
    await engine.destroy();
  } finally {
    await closeAll();
    await lab32.destroy();
  }
  return out;
}
