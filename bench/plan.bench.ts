/**
 * `planLab` at scale: 100 hosts and 2,000 containers (mixed dynamic, subnet and static
 * addressing, extra DNS names), median of several runs after a warm-up. Target < 100 ms: the
 * planner runs on every `pulumi preview`, so it must stay invisible next to SSH round trips.
 */
import { planLab } from "../components/plan";
import type { LabSpec } from "../components/spec";
import { median, type BenchResult } from "./run";

/** A large but valid lab: 100 hosts, 2,000 containers on 10.32.0.0/12. */
export function bigLab(hostCount = 100, containerCount = 2000): LabSpec {
  const hosts = Array.from({ length: hostCount }, (_, i) => ({
    name: `host${i}`,
    address: `192.168.${Math.floor(i / 250)}.${(i % 250) + 1}`,
    ssh: { hostKey: "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8" },
    extraLaunchArgs: ["--conn-limit", "200"],
  }));
  const containers = Array.from({ length: containerCount }, (_, i) => {
    const host = `host${i % hostCount}`;
    const base = {
      name: `c${i}`,
      host,
      image: "lab/web:1",
      env: { ROLE: "web" },
      ports: ["80"],
      dnsNames: [`alias${i}`],
    };
    if (i % 10 === 0) return { ...base, address: `10.47.${Math.floor(i / 250)}.${(i % 250) + 1}/12` };
    if (i % 10 === 1) return { ...base, subnet: "10.40.0.0/16" };
    return base;
  });
  return {
    name: "bench",
    network: { allocRange: "10.32.0.0/12", defaultSubnet: "10.32.0.0/13", password: "x" },
    hosts,
    containers,
  };
}

export default async function bench(): Promise<BenchResult[]> {
  const spec = bigLab();
  const warmups = 5;
  const runs = 15;
  // Warm-up: JIT compilation and module loading are not what we measure.
  for (let i = 0; i < warmups; i++) planLab(spec);
  const times: number[] = [];
  let plan = planLab(spec);
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    plan = planLab(spec);
    times.push(performance.now() - t0);
  }
  const cpu = process.cpuUsage(cpu0);
  if (plan.hosts.length !== 100 || plan.containers.length !== 2000)
    throw new Error("bench: plan has the wrong size");
  const value = median(times);
  const target = 100;
  // CPU time per run is shown too: on a loaded machine wall time includes waiting for a core.
  const cpuMs = (cpu.user + cpu.system) / 1000 / runs;
  return [
    {
      name: "planLab 100 hosts x 2000 containers (median)",
      value,
      unit: "ms",
      target,
      ratio: value / target,
      note: `${runs} runs after ${warmups} warm-up, min ${Math.min(...times).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms, CPU ${cpuMs.toFixed(1)} ms/run`,
    },
  ];
}
