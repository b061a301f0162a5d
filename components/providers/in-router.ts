/**
 * `weave` commands that touch one container or DNS name (attach, dns-add, dns-remove) run by the
 * script inside the router container, with no weaveexec helper container: see
 * `inRouterContainer` in `weave/commands.ts` for why that is the same command.
 */
import { RemoteCommandError } from "../remote/errors";
import type { ExecOptions, ExecResult, HostConnection } from "../remote/types";
import type { CommandPlan } from "../model/plan";
import { inRouterContainer, ROUTER_SCRIPT } from "../weave/commands";
import type { OpsEnv } from "./ops-env";

/**
 * Run `plan` (a `weave` command) in the router container. Where that cannot start (exit 126:
 * Docker 20.10 found no such file in the image, and says so on stdout; 127: a shell found no such
 * command), the host's script runs it, as before, and the log says so. Any other failure is the
 * command's own: raised, or returned under `allowFailure`. A deadline ends the `docker exec`
 * client, not the script: Docker does not stop an exec'd process when its client goes, so an
 * attach that waits for the ring goes on in the router container. A create that fails removes its
 * container, and Weave then drops the pending request: on real Weave 2.8.1 the script was gone
 * within 3 s of `docker rm -f`.
 */
export async function weaveInRouter(
  env: OpsEnv,
  conn: HostConnection,
  plan: CommandPlan,
  opts: ExecOptions,
): Promise<ExecResult> {
  const moved = inRouterContainer(plan);
  let code: number;
  try {
    const r = await conn.exec(moved.argv, { ...opts, env: moved.env });
    if (r.code !== 126 && r.code !== 127) return r;
    code = r.code;
  } catch (e) {
    if (!(e instanceof RemoteCommandError) || (e.exitCode !== 126 && e.exitCode !== 127)) throw e;
    code = e.exitCode;
  }
  env.log(
    `${conn.hostName}: ${ROUTER_SCRIPT} could not start in the router container (exit ${code}): running the host's weave script`,
  );
  return conn.exec(plan.argv, { ...opts, env: plan.env });
}
