/**
 * Docker reads on a host's critical path: before a launch, the engine's version (for the
 * compatibility check) and the `weave` container; after an attach, the process id of the
 * attached container (`runningPid`, for its MAC). Asked of the Docker Engine API through the SSH
 * connection (`HostConnection.dockerGet`: milliseconds); the launch reads are rendered exactly as
 * the `docker` CLI formats them, so one parser reads either. The CLI (a process on a busy host:
 * most of a second) answers when the API cannot: a transport without it, a host that forbids
 * stream-local forwarding, a login user without access to the socket, or any answer the API
 * should not give.
 */
import type { ExecResult, HostConnection, HttpResponse } from "../remote/types";
import { ROUTER_CONTAINER } from "../weave/commands";
import { dockerVersionCmd, inspectRouter } from "./cli";
import { isRecord } from "./unknowns";

/** What the CLI would have printed (`code`, `stdout`, `stderr`), as far as the parsers read it. */
export type CliAnswer = Pick<ExecResult, "code" | "stdout" | "stderr">;

async function dockerGet(
  conn: HostConnection,
  path: string,
  timeoutMs: number,
): Promise<HttpResponse | undefined> {
  if (!conn.dockerGet) return undefined;
  try {
    return await conn.dockerGet(path, { timeoutMs });
  } catch {
    return undefined;
  }
}

function json(body: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(body);
    return isRecord(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

const text = (v: unknown): v is string => typeof v === "string" && v.length > 0;

/**
 * `GET /version` as `docker version --format '{{.Server.Version}} {{.Server.APIVersion}}
 * {{.Server.MinAPIVersion}}'` prints it; undefined when the API does not answer so.
 */
export function versionFromApi(r: HttpResponse): CliAnswer | undefined {
  const v = r.status === 200 ? json(r.body) : undefined;
  if (!v || !text(v.Version) || !text(v.ApiVersion) || !text(v.MinAPIVersion)) return undefined;
  return { code: 0, stdout: `${v.Version} ${v.ApiVersion} ${v.MinAPIVersion}\n`, stderr: "" };
}

/**
 * `GET /containers/weave/json` as `docker inspect --format '{{.Id}} {{.State.Status}}
 * {{json .Args}}' weave` prints it (absent: exit 1, `No such object`); undefined otherwise.
 */
export function routerFromApi(r: HttpResponse): CliAnswer | undefined {
  const v = json(r.body);
  if (r.status === 404)
    return v && text(v.message) && /No such container/i.test(v.message)
      ? { code: 1, stdout: "", stderr: "Error: No such object: weave\n" }
      : undefined;
  if (r.status !== 200 || !v) return undefined;
  const state = isRecord(v.State) ? v.State : undefined;
  if (!text(v.Id) || !state || !text(state.Status) || !Array.isArray(v.Args)) return undefined;
  return { code: 0, stdout: `${v.Id} ${state.Status} ${templateJson(v.Args)}\n`, stderr: "" };
}

/**
 * JSON as Docker's `{{json}}` template function writes it: like `JSON.stringify` except that
 * U+2028 and U+2029 are escaped (Go's encoder always does; Docker turns off only its HTML
 * escaping, so `<`, `>` and `&` stay as they are). Checked against `docker inspect` on Docker 20.10.
 */
function templateJson(v: unknown): string {
  return JSON.stringify(v).replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}

/** The engine's version line: the API, else `docker version`. */
export async function readDockerVersion(conn: HostConnection, timeoutMs: number): Promise<CliAnswer> {
  const r = await dockerGet(conn, "/version", timeoutMs);
  const viaApi = r && versionFromApi(r);
  if (viaApi) return viaApi;
  const dv = dockerVersionCmd();
  return conn.exec(dv.argv, { env: dv.env, allowFailure: true, timeoutMs, what: "docker version" });
}

/** The `weave` container's id, state and args: the API, else `docker inspect weave`. */
export async function readRouterContainer(conn: HostConnection, timeoutMs: number): Promise<CliAnswer> {
  const r = await dockerGet(conn, `/containers/${ROUTER_CONTAINER}/json`, timeoutMs);
  const viaApi = r && routerFromApi(r);
  if (viaApi) return viaApi;
  return conn.exec(inspectRouter(), { allowFailure: true, timeoutMs, what: "docker inspect weave" });
}

/**
 * `State.Pid` of `GET /containers/<id>/json` when Docker says the container runs (a positive
 * process id); undefined for any other answer.
 */
export function pidFromApi(r: HttpResponse): number | undefined {
  const v = r.status === 200 ? json(r.body) : undefined;
  const state = v && isRecord(v.State) ? v.State : undefined;
  if (!state || state.Running !== true) return undefined;
  const pid = state.Pid;
  return typeof pid === "number" && Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * The host's process id of a running container, from Docker's API only (milliseconds);
 * undefined when the API cannot say, and the caller then asks through the CLI its own way.
 */
export async function runningPid(
  conn: HostConnection,
  id: string,
  timeoutMs: number,
): Promise<number | undefined> {
  const r = await dockerGet(conn, `/containers/${encodeURIComponent(id)}/json`, timeoutMs);
  return r && pidFromApi(r);
}
