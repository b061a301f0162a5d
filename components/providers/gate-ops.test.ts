/**
 * The gate ignores problems about hosts that are leaving (their routers are deleted after the
 * gate), matching on the problem's fields: leaving `docker1` must not hide `docker10`. It reads
 * each report's consensus view, and the whole report when the template route fails.
 */
import { readJsonFixture } from "../../test/fixtures";
import type { HostConnection, HttpResponse } from "../remote/types";
import { CONSENSUS_TEMPLATE } from "../weave/report";
import type { VerdictProblem } from "../weave/verdict";
import { isAbout, observeAll, type LeavingHost } from "./gate-ops";
import type { OpsEnv } from "./ops-env";
import { REPORT_CONSENSUS } from "./router-status";
import type { GateInputs } from "./types";

const docker1: LeavingHost = {
  host: "docker1",
  peerName: "02:00:00:00:00:01",
  nickname: "docker1",
  address: "10.10.10.1",
};

test("a problem seen on the leaving host, or about its peer name or address, is about it", () => {
  const on: VerdictProblem = { host: "docker1", kind: "not-connected", message: "docker1: no connection" };
  const owner: VerdictProblem = {
    host: "docker2",
    kind: "stranger-owner",
    message: "docker2: 64 addresses are owned by 02:00:00:00:00:01(docker1)",
    about: { peerName: "02:00:00:00:00:01" },
  };
  const dial: VerdictProblem = {
    host: "docker2",
    kind: "stranger-target",
    message: "docker2: dials 10.10.10.1:6783",
    about: { address: "10.10.10.1" },
  };
  expect([on, owner, dial].map((p) => isAbout(p, docker1))).toEqual([true, true, true]);
});

test("a problem about docker10 (peer :10, address .10) is not about leaving docker1, though its text contains 'docker1' and '10.10.10.1'", () => {
  const p: VerdictProblem = {
    host: "docker2",
    kind: "stranger-owner",
    message:
      "docker2: 64 addresses are owned by 02:00:00:00:00:10(docker10) at 10.10.10.10 (not docker1's 02:00:00:00:00:01)",
    about: { peerName: "02:00:00:00:00:10", address: "10.10.10.10" },
  };
  expect(isAbout(p, docker1)).toBe(false);
  const noFields: VerdictProblem = {
    host: "docker2",
    kind: "ring-incomplete",
    message: "docker2: docker1 left a hole",
  };
  expect(isAbout(noFields, docker1)).toBe(false);
});

describe("observeAll reads only the consensus view of each report", () => {
  const slim = JSON.stringify({
    Ready: true,
    Version: "2.8.1",
    Router: { Name: "02:00:00:00:00:01", Encryption: false, Peers: [], Connections: null },
  });
  const full = readJsonFixture("13-docker1-weave-report-seed-before-containers.json");
  const inputs = {
    hosts: [{ host: "docker1", connection: { hostName: "docker1" } }],
  } as unknown as GateInputs;

  /** One host answering the template route with `templated`, and the JSON route with fixture 13. */
  function envAnswering(templated: HttpResponse): { env: OpsEnv; asked: string[] } {
    const asked: string[] = [];
    const conn = {
      hostName: "docker1",
      async http(_m: string, path: string, opts?: { headers?: Record<string, string> }) {
        asked.push(opts?.headers?.Accept ? `${path} (Accept: ${opts.headers.Accept})` : path);
        return path === "/report" ? { status: 200, body: full } : templated;
      },
    } as unknown as HostConnection;
    return { env: { connect: () => conn, log: () => undefined, sleep: async () => undefined }, asked };
  }

  test("asks for the consensus template, not the whole report", async () => {
    const { env, asked } = envAnswering({ status: 200, body: slim });
    const [o] = await observeAll(env, inputs);
    expect(asked).toEqual([REPORT_CONSENSUS]);
    expect(decodeURIComponent(REPORT_CONSENSUS)).toBe(`/report?format=${CONSENSUS_TEMPLATE}`);
    expect(o.report?.router.name).toBe("02:00:00:00:00:01");
  });

  test.each([
    ["refused", { status: 400, body: "template: format:1: unexpected EOF" }],
    [
      "cut short by an execution error",
      { status: 200, body: '{"Ready":trueerror during template execution' },
    ],
  ])("falls back to Accept: application/json when the template route is %s", async (_why, templated) => {
    const { env, asked } = envAnswering(templated);
    const [o] = await observeAll(env, inputs);
    expect(asked).toEqual([REPORT_CONSENSUS, "/report (Accept: application/json)"]);
    expect(o.report?.router.name).toBe("02:00:00:00:00:03");
  });
});
