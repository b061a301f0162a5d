/**
 * One name lookup from inside a container, by the first resolver program its image has:
 * `getent hosts` (the container's own resolver path, search domains included), else busybox's
 * `nslookup`. Both the container's resolve check and the data-plane check use it; each reads the
 * answer its own way (the first throws on a failed lookup, the second records it per cell).
 */
import type { ExecResult, HostConnection } from "../remote/types";
import {
  isMissingTool,
  LOOKUP_TOOLS,
  lookupArgv,
  parseGetent,
  parseNslookup,
  type LookupTool,
} from "../weave/lookup";
import { containerError } from "./container-diff";
import { same } from "./diff-values";
import { saidBy } from "./host-errors";

/** A lookup program's run: which one, what it answered, and whether the image lacks it. */
export interface ToolRun extends ExecResult {
  tool: LookupTool;
  /** Docker said the program is not in the image. */
  missing: boolean;
}

/**
 * Looks `name` up from inside `container` (id or name, for `docker exec`; `label` names it in
 * the transport's deadline message). Tools in `missing` are skipped, and a tool the image turns
 * out to lack is added to it, so the caller can skip it next time. Returns the first run of a
 * program the image has; when it has none, the last run (`missing: true`); undefined when every
 * tool was already known to be missing.
 */
export async function lookUpName(
  conn: HostConnection,
  container: string,
  label: string,
  name: string,
  timeoutMs: number,
  missing: Set<LookupTool>,
): Promise<ToolRun | undefined> {
  let last: ToolRun | undefined;
  for (const tool of LOOKUP_TOOLS) {
    if (missing.has(tool)) continue;
    const argv = lookupArgv(tool, name);
    const r = await conn.exec(["docker", "exec", container, ...argv], {
      allowFailure: true,
      timeoutMs,
      what: `${argv.join(" ")} inside ${label}`,
    });
    last = { ...r, tool, missing: isMissingTool(r.code, r.stderr + r.stdout) };
    if (!last.missing) return last;
    missing.add(tool);
  }
  return last;
}

/** The resolver programs tried in a container, in order (see {@link LookupTool}). */
export type ResolverTool = LookupTool;

/**
 * What a name resolves to from inside a container: the addresses, sorted; [] when the name does
 * not resolve. `getent hosts` (glibc and musl images) first; busybox images have no `getent`
 * ("executable file not found"), so then busybox's `nslookup`. This is the textbook's `ping web1`
 * from web2, minus the ping. `tool` skips straight to the one known to work. A lookup that fails
 * (no resolver reachable, neither program in the image) throws a ContainerError.
 */
export async function resolveWith(
  conn: HostConnection,
  container: string,
  name: string,
  timeoutMs = 15_000,
  tool: ResolverTool = "getent",
): Promise<{ ips: string[]; tool: ResolverTool }> {
  const skip = new Set<LookupTool>(tool === "nslookup" ? ["getent"] : []);
  // Only an empty skip set can leave nothing to run, and this one never holds nslookup.
  const r = (await lookUpName(conn, container, container, name, timeoutMs, skip))!;
  if (r.tool === "getent") {
    // getent: exit 2 = not found.
    if (r.code === 2) return { ips: [], tool: "getent" };
    if (r.code === 0) return { ips: parseGetent(r.stdout).sort(), tool: "getent" };
    throw containerError(
      conn.hostName,
      `\`docker exec ${container} getent hosts ${name}\` failed (exit ${r.code}): ${saidBy(r)}`,
    );
  }
  const parsed = parseNslookup(r.stdout);
  if (r.code === 0 || parsed.notFound) return { ips: [...parsed.ips].sort(), tool: "nslookup" };
  throw containerError(
    conn.hostName,
    `\`docker exec ${container} nslookup ${name}\` failed (exit ${r.code}; the image has no getent either): ${saidBy(
      r.stderr.trim() ? r : { ...r, stderr: r.stdout },
    )}`,
  );
}

/** {@link resolveWith}, addresses only. */
export async function resolveFrom(
  conn: HostConnection,
  container: string,
  name: string,
  timeoutMs = 15_000,
): Promise<string[]> {
  return (await resolveWith(conn, container, name, timeoutMs)).ips;
}

/**
 * Waits until `name` resolves from `container` to exactly `expected` (order ignored), or fails
 * after `deadlineMs` saying what it saw last. DNS gossip between peers takes a moment.
 */
export async function expectResolves(
  conn: HostConnection,
  container: string,
  name: string,
  expected: string[],
  deadlineMs = 15_000,
): Promise<string[]> {
  const want = [...expected].sort();
  const until = Date.now() + deadlineMs;
  let seen: string[] = [];
  let tool: ResolverTool = "getent";
  for (;;) {
    ({ ips: seen, tool } = await resolveWith(conn, container, name, 15_000, tool));
    if (same(seen, want)) return seen;
    if (Date.now() > until) {
      throw containerError(
        conn.hostName,
        `${name} resolves from ${container} to [${seen.join(", ")}], expected [${want.join(", ")}] (waited ${deadlineMs} ms for weaveDNS)`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
