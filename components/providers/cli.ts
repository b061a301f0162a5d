/**
 * The commands the providers run besides the planned `weave launch`: the builders of
 * `components/weave/commands.ts` bound to the lab's script and environment, plus the two Docker
 * reads whose output format the providers choose.
 */
import type { CommandPlan } from "../model/plan";
import { dockerInspect, dockerLogs, dockerVersion, ROUTER_CONTAINER, weaveCommands } from "../weave/commands";

/** The router facts providers act on (script path, API override). */
export interface CliTarget {
  scriptPath: string;
  dockerApiVersionOverride?: string;
}

/** The weave command builders for a lab's script. */
export function weaveCli(t: CliTarget): ReturnType<typeof weaveCommands> {
  return weaveCommands({
    weave: {
      scriptPath: t.scriptPath,
      ...(t.dockerApiVersionOverride !== undefined
        ? { dockerApiVersionOverride: t.dockerApiVersionOverride }
        : {}),
    },
  });
}

/** `docker version --format …` (server version, API, minimum API). */
export function dockerVersionCmd(): CommandPlan {
  return dockerVersion();
}

/** `docker inspect --format <tmpl> weave`: the router container's id, state and args (fails if absent). */
export function inspectRouter(): string[] {
  return dockerInspect([ROUTER_CONTAINER], "{{.Id}} {{.State.Status}} {{json .Args}}").argv;
}

/** `docker logs --tail <lines> weave`: the router's last log lines (Weave logs to stderr). */
export function routerLogTail(lines: number): string[] {
  return dockerLogs(ROUTER_CONTAINER, { tail: lines }).argv;
}

/** `docker ps -a --format {{.Names}}`: every container name, to prove a reset left nothing. */
export function listContainerNames(): string[] {
  return ["docker", "ps", "-a", "--format", "{{.Names}}"];
}

/**
 * `grep -m 1 -E ^SCRIPT_VERSION= <script>`: the weave script's own version line, read without
 * running the script (which would start a helper container). Exit 1: no such line; 2: unreadable.
 */
export function scriptVersionCmd(scriptPath: string): string[] {
  return ["grep", "-m", "1", "-E", "^SCRIPT_VERSION=", scriptPath];
}
