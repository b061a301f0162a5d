/**
 * The test lab, as integration tests import it (`../lab`). {@link getLab} picks the kind of lab
 * from the environment:
 *
 *   WEAVE_LAB_KIND=dind   Docker-in-Docker hosts running real Weave (dind.ts)
 *   WEAVE_LAB_HOSTS=file  machines you provide, reset before each test (real.ts, reset.ts)
 *   neither               network namespaces with sshd and the Weave double (namespace.ts)
 *
 * The namespace lab is built from its network (bridge.ts), its hosts (namespace-host.ts), the
 * delay proxy in front of their sshd (delay-daemon.ts) and its faults (faults.ts); every kind
 * reaches its hosts with the same SSH client (ssh-client.ts) and hands out a {@link TestLab}.
 */
import { createDindLab, dindSettings } from "./dind";
import { LabOptions, validateLabOptions } from "./layout";
import { createLab } from "./namespace";
import { labFromEnv as realLabFromEnv } from "./real";
import { resetRealHosts } from "./reset";
import { cleanupStaleLabsSync } from "./state";
import type { TestLab } from "./types";

export type { LabHost, LabExecResult, Faults, TestLab } from "./types";
export type { LabOptions } from "./layout";
export type { DoubleConfig } from "./double-config";
export { DEFAULT_DOUBLE_CONFIG, readDoubleConfig, writeDoubleConfig } from "./double-config";
export { startSshd, generateKeyPair } from "./sshd";
export type { SshdOptions, SshdHandle, KeyPair } from "./sshd";
export { leftoversOf, LAB_ROOT } from "./state";
export type { Leftovers } from "./state";
export { REPO_ROOT, DOUBLE_PATH_DIR, INNER_SSH_PORT } from "./constants";
export { sshArgs, runSsh } from "./ssh-client";
export { createLab } from "./namespace";
export { NEIGH_THRESHOLDS, ensureNeighbourTableRoom, bridgeMac, forwardChainMayDrop } from "./bridge";
export { isRouterCommand } from "./faults";
export { resetRealHosts, resetHostsAfterEachTest } from "./reset";
export { consensusTimeoutFor } from "./consensus-timeout";

/**
 * What integration tests call: the real hosts of `WEAVE_LAB_HOSTS` if set; a lab of
 * Docker-in-Docker hosts running real Weave with `WEAVE_LAB_KIND=dind`; else a namespace lab
 * with the Weave double. Host names are the test's own on every kind but `WEAVE_LAB_HOSTS`.
 */
export async function getLab(opts: LabOptions = {}): Promise<TestLab> {
  const dind = dindSettings();
  if (dind) return createDindLab(validateLabOptions(opts).names, dind);
  const names = validateLabOptions(opts).names;
  const real = await realLabFromEnv(process.env, names);
  if (!real) return createLab(opts);
  await resetRealHosts(real);
  return real;
}

/** Real hosts from `WEAVE_LAB_HOSTS`, or undefined when it is not set. */
export async function labFromEnv(): Promise<TestLab | undefined> {
  return realLabFromEnv();
}

/** Remove leftovers of interrupted runs (labs whose creating process is gone). Returns the ids removed. */
export async function cleanupStaleLabs(): Promise<string[]> {
  return cleanupStaleLabsSync();
}
