import { inRouterArgv } from "../../test/builders";
import { RemoteCommandError } from "../remote/errors";
import type { ExecOptions, ExecResult, HostConnection } from "../remote/types";
import { dnsRemove } from "../weave/commands";
import { weaveInRouter } from "./in-router";
import type { OpsEnv } from "./ops-env";

/** A host whose `docker exec` ends with `code` (thrown unless allowFailure, as the transport does). */
function host(code: number): HostConnection & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    hostName: "docker1",
    calls,
    async exec(argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
      calls.push(argv);
      const c = argv[0] === "docker" ? code : 0;
      if (c !== 0 && !opts.allowFailure) throw new RemoteCommandError("docker1", argv.join(" "), c, "");
      return { code: c, stdout: "", stderr: "", durationMs: 1 };
    },
  } as unknown as HostConnection & { calls: string[][] };
}

const env = (): OpsEnv & { logs: string[] } => {
  const logs: string[] = [];
  return { logs, connect: () => undefined as never, log: (m) => logs.push(m), sleep: async () => undefined };
};

describe("weaveInRouter", () => {
  const plan = dnsRemove(["10.0.0.1"], { fqdn: "x.weave.local" }, { weave: { scriptPath: "/opt/weave" } });
  const moved = inRouterArgv("dns-remove", "10.0.0.1", "-h", "x.weave.local");

  test("allowFailure: a script that could not start (126/127) is run by the host's script instead", async () => {
    for (const code of [126, 127]) {
      const h = host(code);
      const e = env();
      const r = await weaveInRouter(e, h, plan, { allowFailure: true });
      expect(r.code).toBe(0);
      expect(h.calls).toEqual([moved, ["/opt/weave", "dns-remove", "10.0.0.1", "-h", "x.weave.local"]]);
      expect(e.logs).toEqual([
        `docker1: /home/weave/weave could not start in the router container (exit ${code}): running the host's weave script`,
      ]);
    }
  });

  test("allowFailure: the command's own failure is returned, and nothing else runs", async () => {
    const h = host(1);
    const e = env();
    expect((await weaveInRouter(e, h, plan, { allowFailure: true })).code).toBe(1);
    expect(h.calls).toEqual([moved]);
    expect(e.logs).toEqual([]);
  });
});
