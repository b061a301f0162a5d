/**
 * How long a suite lets the gate wait for consensus. On the double 30 s is plenty. Real Weave on
 * a loaded machine (a CI run, or several suites at once) can need longer: a peer that launches
 * late is dialled again only when the dialler's back-off allows, and runs here saw "connection to
 * host2 is still being set up" after 30 s at load ~25–40. A lab that never agrees still fails.
 */
import type { TestLab } from "./types";

export function consensusTimeoutFor(lab: TestLab): number {
  return lab.real ? 120 : 30;
}
