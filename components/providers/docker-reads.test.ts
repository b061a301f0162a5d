import type { ExecOptions, ExecResult, HostConnection, HttpResponse } from "../remote/types";
import {
  pidFromApi,
  readDockerVersion,
  readRouterContainer,
  routerFromApi,
  runningPid,
  versionFromApi,
} from "./docker-reads";

/** A host whose Docker API answers `api` (absent: a transport without it) and whose CLI `cli`. */
function host(
  api: ((path: string) => HttpResponse) | undefined,
  cli: (argv: string[]) => ExecResult = () => ({
    code: 0,
    stdout: "from the CLI\n",
    stderr: "",
    durationMs: 1,
  }),
): HostConnection & { execs: string[][]; gets: string[] } {
  const execs: string[][] = [];
  const gets: string[] = [];
  const h: HostConnection & { execs: string[][]; gets: string[] } = {
    hostName: "docker1",
    execs,
    gets,
    async exec(argv: string[], _o?: ExecOptions) {
      execs.push(argv);
      return cli(argv);
    },
    async http() {
      throw new Error("not the router's API");
    },
    async upload() {},
    async close() {},
  };
  if (api)
    h.dockerGet = async (path: string) => {
      gets.push(path);
      return api(path);
    };
  return h;
}

const json = (status: number, body: unknown): HttpResponse => ({ status, body: JSON.stringify(body) });

describe("Docker reads: the Engine API where it answers, else the docker CLI", () => {
  test("GET /version gives the line `docker version --format` prints; no CLI call", async () => {
    const h = host(() =>
      json(200, { Version: "24.0.7", ApiVersion: "1.43", MinAPIVersion: "1.12", Os: "linux" }),
    );
    expect(await readDockerVersion(h, 1000)).toEqual({ code: 0, stdout: "24.0.7 1.43 1.12\n", stderr: "" });
    expect(h.gets).toEqual(["/version"]);
    expect(h.execs).toEqual([]);
  });

  test("the weave container: running with its args, or absent as the CLI says it (exit 1, No such object)", async () => {
    const id = "a".repeat(64);
    const running = host(() =>
      json(200, { Id: id, State: { Status: "restarting", Restarting: true }, Args: ["--port", "6783"] }),
    );
    expect((await readRouterContainer(running, 1000)).stdout).toBe(`${id} restarting ["--port","6783"]\n`);
    // As `docker inspect --format '{{json .Args}}'` printed these args on Docker 20.10.
    const odd = host(() =>
      json(200, { Id: id, State: { Status: "running" }, Args: ["a<b>&c", "x\u2028y", "t\tq"] }),
    );
    expect((await readRouterContainer(odd, 1000)).stdout).toBe(
      `${id} running ["a<b>&c","x\\u2028y","t\\tq"]\n`,
    );
    const absent = host(() => json(404, { message: "No such container: weave" }));
    expect(await readRouterContainer(absent, 1000)).toEqual({
      code: 1,
      stdout: "",
      stderr: "Error: No such object: weave\n",
    });
    expect([...running.execs, ...odd.execs, ...absent.execs]).toEqual([]);
  });

  test("anything else goes to the CLI: no API on the transport, a refused forward, another status, a 404 that is not a missing container, a body without the fields", async () => {
    const cases: Array<((p: string) => HttpResponse) | undefined> = [
      undefined,
      () => {
        throw new Error(
          "cannot reach /var/run/docker.sock through SSH stream-local forwarding: administratively prohibited",
        );
      },
      () => json(500, { message: "server error" }),
      () => ({ status: 404, body: "404 page not found" }),
      () => json(200, { Version: "24.0.7" }),
      () => ({ status: 200, body: "not json" }),
    ];
    for (const api of cases) {
      const h = host(api);
      expect((await readDockerVersion(h, 1000)).stdout).toBe("from the CLI\n");
      expect((await readRouterContainer(h, 1000)).stdout).toBe("from the CLI\n");
      expect(h.execs.map((a) => a.slice(0, 2).join(" "))).toEqual(["docker version", "docker inspect"]);
    }
  });

  test("the renderers refuse what they cannot render faithfully", () => {
    expect(
      versionFromApi(json(200, { Version: "", ApiVersion: "1.43", MinAPIVersion: "1.12" })),
    ).toBeUndefined();
    expect(routerFromApi(json(200, { Id: "x", State: {}, Args: [] }))).toBeUndefined();
    expect(routerFromApi(json(200, { Id: "x", State: { Status: "running" }, Args: null }))).toBeUndefined();
    expect(routerFromApi(json(404, { message: "page not found" }))).toBeUndefined();
  });

  test("a container's pid: State.Pid of a running container (Docker 20.10's State fields); none for a stopped one, a missing one, no API or a pid that is not a positive integer", async () => {
    // The State object as Docker 20.10 answers GET /containers/<id>/json for a running container.
    const state = {
      Status: "running",
      Running: true,
      Paused: false,
      Restarting: false,
      OOMKilled: false,
      Dead: false,
      Pid: 4529,
      ExitCode: 0,
      Error: "",
      StartedAt: "2026-12-04T17:56:36.648240367Z",
      FinishedAt: "0001-01-01T00:00:00Z",
    };
    const h = host(() => json(200, { Id: "abc", State: state }));
    expect(await runningPid(h, "abc", 1000)).toBe(4529);
    expect(h.gets).toEqual(["/containers/abc/json"]);
    expect(h.execs).toEqual([]);

    expect(
      pidFromApi(json(200, { State: { ...state, Status: "exited", Running: false, Pid: 0 } })),
    ).toBeUndefined();
    expect(pidFromApi(json(200, { State: { ...state, Pid: 0 } }))).toBeUndefined();
    expect(pidFromApi(json(200, { State: { ...state, Pid: "4529" } }))).toBeUndefined();
    expect(pidFromApi(json(404, { message: "No such container: abc" }))).toBeUndefined();
    expect(await runningPid(host(undefined), "abc", 1000)).toBeUndefined();
    const refused = host(() => {
      throw new Error("administratively prohibited");
    });
    expect(await runningPid(refused, "abc", 1000)).toBeUndefined();
    expect(refused.execs).toEqual([]);
  });
});
