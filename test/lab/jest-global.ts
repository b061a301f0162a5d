/**
 * Jest globalSetup/globalTeardown of the integration project: remove labs left by interrupted
 * runs before the first test, and labs of jest workers that died without their exit hook after
 * the last one. Labs of live processes (another jest run on this machine) are never touched.
 */
import { cleanupStaleLabsSync } from "./state";

export default function cleanupLabs(): void {
  const removed = cleanupStaleLabsSync();
  if (removed.length > 0) process.stderr.write(`weave-lab: removed stale test labs ${removed.join(", ")}\n`);
}
