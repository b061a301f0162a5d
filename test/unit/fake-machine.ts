/**
 * A stand-in for a VM created in the same program, for the tests of hosts from other resources:
 * it reports `ip` only once created (unknown in a preview). Under `machineMocks`, a created
 * machine answers with the address it was asked to have, as a VM reports its own.
 */
import * as pulumi from "@pulumi/pulumi";

export const MACHINE_TYPE = "test:index:Machine";

export class FakeMachine extends pulumi.CustomResource {
  declare readonly ip: pulumi.Output<string>;
  constructor(name: string, wantIp?: string) {
    super(MACHINE_TYPE, name, { ip: undefined, ...(wantIp !== undefined ? { wantIp } : {}) });
  }
}

/** Mocks for a deployment (not a preview): `seen` gets every resource; machines report their `wantIp`. */
export function machineMocks(
  seen: (type: string, name: string, inputs: Record<string, unknown>) => void,
): void {
  pulumi.runtime.setMocks(
    {
      newResource(args) {
        seen(args.type, args.name, args.inputs as Record<string, unknown>);
        const state: Record<string, unknown> = { ...args.inputs };
        if (args.type === MACHINE_TYPE) state.ip = args.inputs.wantIp;
        return { id: `${args.name}-id`, state };
      },
      call: (args) => args.inputs,
    },
    "weave-lab-test",
    "dev",
    false,
  );
}
