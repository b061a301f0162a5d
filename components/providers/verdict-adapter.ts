/**
 * Adapter between the gate's inputs and the consensus verdict of `components/weave/verdict.ts`:
 * builds the verdict's `expected` from `GateInputs` (the gate does not carry the whole plan).
 */
import type { ExpectedLab, HostObservation } from "../weave/verdict";
import type { GateInputs } from "./types";

/** One host's observation: its parsed report, or why there is none. */
export type Observation = HostObservation;

/**
 * The verdict's expectation from the gate's inputs. `checkPrediction: false` drops the seed-mode
 * prediction: after hosts joined a ring formed without them, shares come from donations.
 */
export function expectedFromGate(inputs: GateInputs, opts: { checkPrediction: boolean }): ExpectedLab {
  return {
    range: inputs.allocRange,
    bootstrap: inputs.bootstrap,
    encrypted: inputs.encrypted,
    hosts: inputs.hosts.map((h) => ({
      name: h.host,
      address: h.address,
      peerName: h.peerName,
      nickname: h.nickname,
      ...(opts.checkPrediction && h.predictedShare ? { predictedShare: h.predictedShare } : {}),
    })),
  };
}
