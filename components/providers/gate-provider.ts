/**
 * The ConsensusGate's provider as the engine runs it: check and diff accept the placeholder of
 * values known only after apply; create/update prime and wait for consensus (`gate-ops.ts`).
 * Loaded by the shim in `gate.ts` (see `ops-env.ts`): never serialised itself.
 */
import type * as pulumi from "@pulumi/pulumi";
import { runGate, updateGate } from "./gate-ops";
import { same } from "./diff-values";
import { inPlaceDiff, opsProvider } from "./ops-provider";
import type { GateInputs, GateOutputs } from "./types";
import { containsUnknown, isRecord, isUnknown } from "./unknowns";

/** Known host entries (a preview may hold the placeholder for the list or for one entry). */
function hostList(hosts: unknown): Array<Partial<GateInputs["hosts"][number]>> {
  return Array.isArray(hosts) ? hosts.filter(isRecord) : [];
}

/** Everything the gate's verdict depends on; connection-only changes do not re-run it. */
function verdictFacts(i: Partial<GateInputs>): unknown {
  return {
    allocRange: i.allocRange,
    bootstrap: i.bootstrap,
    encrypted: i.encrypted,
    seedNames: i.seedNames,
    hosts: hostList(i.hosts).map((h) => [
      h.host,
      h.address,
      h.peerName,
      h.nickname,
      h.predictedShare ?? null,
    ]),
    routerIds: i.routerIds,
    rejoinedHosts: i.rejoinedHosts ?? [],
  };
}

/** Check failures of the gate's inputs; unknown values (a preview) are known after apply, not wrong. */
export function checkGateInputs(news: Partial<GateInputs>): pulumi.dynamic.CheckFailure[] {
  const failures: pulumi.dynamic.CheckFailure[] = [];
  const hosts: unknown = news.hosts;
  if (!isUnknown(hosts) && (!Array.isArray(hosts) || hosts.length === 0))
    failures.push({ property: "hosts", reason: "at least one host is required" });
  const t: unknown = news.timeoutSeconds;
  if (!isUnknown(t) && !(typeof t === "number" && t > 0)) {
    failures.push({
      property: "timeoutSeconds",
      reason: `must be a positive number of seconds, got ${JSON.stringify(t)}`,
    });
  }
  return failures;
}

/** Fields whose change re-runs the gate, in the order a preview lists them. */
export function diffGate(olds: Partial<GateOutputs>, news: Partial<GateInputs>): string[] {
  const changed: string[] = [];
  for (const [k, v] of Object.entries(news)) {
    if (containsUnknown(v)) changed.push(k);
  }
  if (changed.length > 0) return changed;
  if (!same(verdictFacts(olds), verdictFacts(news))) changed.push("verdict");
  if (olds.healthy !== true) changed.push("healthy");
  if (!same(olds.hosts, news.hosts) && !changed.includes("verdict")) changed.push("hosts");
  if (olds.timeoutSeconds !== news.timeoutSeconds) changed.push("timeoutSeconds");
  return changed;
}

/** The ConsensusGate provider (what `gateProvider` in `gate.ts` calls). */
export const gateProviderImpl: pulumi.dynamic.ResourceProvider = opsProvider<GateInputs, GateOutputs>({
  what: "gate",
  name: () => "consensus",
  check: checkGateInputs,
  // Re-verify when the ring's facts or any router changed, or when it was not healthy; a value
  // a preview does not know yet may change. Nothing is ever replaced.
  diff: (olds, news) => inPlaceDiff(diffGate(olds, news)),
  create: runGate,
  update: async (env, olds, news) =>
    // Only connection settings or the timeout changed: nothing to verify again.
    same(verdictFacts(olds), verdictFacts(news)) && olds.healthy
      ? { ...olds, ...news }
      : updateGate(env, olds, news),
  // The gate is a check, not a thing on a host: refresh keeps the last verdict.
  read: async (_env, props) => props,
  // Nothing on the hosts belongs to the gate.
  delete: async () => undefined,
});
