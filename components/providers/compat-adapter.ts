/**
 * Docker/Weave compatibility for the preflight. Delegates to `components/weave/compat.ts` once it
 * exists; until then a minimal rule: the engine's minimum API must not exceed the API the Weave
 * distribution's helpers speak (1.18 for weaveworks 2.8.1, 1.24 for rajch 2.9.x).
 */
import { compareApiVersions, type DockerServerFacts } from "../weave/ps";
import type { WeaveDistribution } from "../spec";

export type CompatResult = { ok: true } | { ok: false; reason: string; fix: string };

export function checkCompat(weave: { distribution: WeaveDistribution; version: string }, docker: DockerServerFacts): CompatResult {
  const speaks = weave.distribution === "weaveworks" ? "1.18" : "1.24";
  if (compareApiVersions(docker.minApiVersion, speaks) > 0) {
    return {
      ok: false,
      reason: `Weave ${weave.distribution} ${weave.version} speaks Docker API ${speaks}, below the engine's minimum ${docker.minApiVersion}.`,
      fix: weave.distribution === "weaveworks" ? `pin Docker Engine ≤ 24 on this host, or set network.weave.distribution to "rajch"` : "use a Docker Engine whose minimum API is 1.24 or lower",
    };
  }
  return { ok: true };
}
