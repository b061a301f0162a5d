/**
 * Reading a host's router over SSH, for the Router's actions, the gate and `status`: its report
 * through the API forward (which view: `router-status.ts`), its container through `docker
 * inspect`. Nothing here changes a host.
 */
import type { HostConnection } from "../remote/types";
import { parseReport, type ReportView } from "../weave/report";
import type { WeaveReport } from "../weave/types";
import { readRouterContainer } from "./docker-reads";
import { routerGet } from "./ops-env";
import {
  inspectSaysRestarting,
  isWholeJson,
  parseRouterInspect,
  REPORT_COMPACT,
  REPORT_CONSENSUS,
  REPORT_HEADERS,
  type RouterContainer,
} from "./router-status";

/**
 * `GET /report` through the forward, in the view asked for (the whole report by default);
 * undefined when the router does not answer. Falls back to the `Accept: application/json` form
 * when the template route refuses or its output is cut short by an execution error.
 */
export async function fetchReport(
  conn: HostConnection,
  timeoutMs = 10_000,
  view: ReportView = "full",
): Promise<WeaveReport | undefined> {
  let res = await routerGet(conn, view === "full" ? REPORT_COMPACT : REPORT_CONSENSUS, { timeoutMs });
  if (res && !isWholeJson(res)) {
    res = await routerGet(conn, "/report", { headers: REPORT_HEADERS, timeoutMs });
  }
  if (res?.status !== 200) return undefined;
  return parseReport(res.body, view);
}

/**
 * The `weave` container (`docker-reads.ts`: the Docker API, else `docker inspect weave`): absent,
 * running or stopped, with its id and args.
 */
export async function inspectRouterContainer(
  conn: HostConnection,
  timeoutMs: number,
  settle: { tries: number; sleep: (ms: number) => Promise<void> } = {
    tries: 20,
    sleep: (ms) => new Promise((res) => setTimeout(res, ms)),
  },
): Promise<RouterContainer> {
  let r = await readRouterContainer(conn, timeoutMs);
  // A router Docker is restarting (its weaver died: restart policy `always`) is running again
  // within a second or two; give it that long before judging it.
  for (let i = 0; i < settle.tries && r.code === 0 && inspectSaysRestarting(r.stdout); i++) {
    await settle.sleep(500);
    r = await readRouterContainer(conn, timeoutMs);
  }
  return parseRouterInspect(conn.hostName, r);
}

/** `p`, or undefined when it fails or takes longer than `ms`. */
export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(undefined), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      () => {
        clearTimeout(t);
        resolve(undefined);
      },
    );
  });
}
