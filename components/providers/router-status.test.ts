/**
 * The pure halves of the Router's actions: what `docker inspect weave` says, what a report route
 * answered, what a refresh concludes, what a reset left behind (`router-status.ts`), and whether
 * a host must join a ring formed without it (`router-launch.ts`).
 */
import { readJsonFixture } from "../../test/fixtures";
import { parseReport } from "../weave/report";
import { ownsAddresses, rejoinEvidence } from "./router-launch";
import {
  inspectSaysRestarting,
  isWholeJson,
  parseRouterInspect,
  refreshedFromReport,
  refreshedStopped,
  weaveContainersIn,
} from "./router-status";
import type { RouterInputs, RouterOutputs } from "./types";

const ok = (stdout: string) => ({ code: 0, stdout, stderr: "" });

describe("docker inspect weave", () => {
  test("running, stopped and restarting, with the router's args", () => {
    expect(
      parseRouterInspect("h1", ok('abc123 running ["--port","6783","--name","02:00:00:00:00:01"]\n')),
    ).toEqual({
      state: "running",
      id: "abc123",
      args: ["--port", "6783", "--name", "02:00:00:00:00:01"],
    });
    expect(parseRouterInspect("h1", ok("abc123 exited null"))).toEqual({
      state: "stopped",
      id: "abc123",
      args: undefined,
    });
    const restarting = ok('abc123 restarting ["--port","6783"]');
    expect(inspectSaysRestarting(restarting.stdout)).toBe(true);
    expect(parseRouterInspect("h1", restarting)).toEqual({
      state: "stopped",
      id: "abc123",
      args: ["--port", "6783"],
      restarting: true,
    });
  });
  test("no such container is absent; any other failure or line names the host", () => {
    expect(parseRouterInspect("h1", { code: 1, stdout: "", stderr: "Error: No such object: weave" })).toEqual(
      {
        state: "absent",
      },
    );
    expect(() =>
      parseRouterInspect("h1", { code: 1, stdout: "", stderr: "permission denied while trying to connect" }),
    ).toThrow(/^h1: `docker inspect weave` failed \(exit 1\): permission denied/);
    expect(() => parseRouterInspect("h1", ok("garbage"))).toThrow(
      /^h1: unexpected `docker inspect weave` output: garbage/,
    );
  });
});

test("a template route's answer is used only when it is a whole JSON document", () => {
  expect(isWholeJson({ status: 200, body: '{"Ready":true}' })).toBe(true);
  expect(isWholeJson({ status: 400, body: "template: format:1: unexpected EOF" })).toBe(false);
  expect(isWholeJson({ status: 200, body: '{"Ready":trueerror during template execution' })).toBe(false);
  expect(isWholeJson({ status: 404, body: "404 page not found" })).toBe(false);
});

test("Weave's containers among docker ps -a names", () => {
  expect(weaveContainersIn("web1\nweave\nweavedb\nweavevolumes-2.8.1\nweaveworks\nweaveproxy\n")).toEqual([
    "weave",
    "weavedb",
    "weavevolumes-2.8.1",
    "weaveproxy",
  ]);
  expect(weaveContainersIn("")).toEqual([]);
});

describe("refresh and rejoin from fixture 13 (docker1 is 02:00:00:00:00:03, range 172.16.16.0/24)", () => {
  const report = parseReport(readJsonFixture("13-docker1-weave-report-seed-before-containers.json"));
  const olds = {
    host: "docker1",
    peerName: "02:00:00:00:00:03",
    allocRange: "172.16.16.0/24",
    containerId: "old",
    status: "running",
    statusDetail: "running",
  } as unknown as RouterOutputs;

  test("a router that answers as planned is running; another name or range is reconfigured", () => {
    expect(refreshedFromReport(olds, report)).toMatchObject({ status: "running", statusDetail: "running" });
    expect(refreshedFromReport({ ...olds, allocRange: "10.32.0.0/12" }, report)).toMatchObject({
      status: "reconfigured",
      statusDetail: "running with range 172.16.16.0/24 (this lab: 10.32.0.0/12)",
      observedRange: "172.16.16.0/24",
    });
  });
  test("a mute router is stopped, saying whether its container runs", () => {
    expect(refreshedStopped(olds, { state: "running", id: "new" })).toMatchObject({
      containerId: "new",
      status: "stopped",
      statusDetail: "the weave container is running but its API does not answer",
    });
    expect(refreshedStopped(olds, { state: "stopped" }).statusDetail).toBe(
      "the weave container is not running",
    );
  });

  const inputs = (peerName: string, allocRange = "172.16.16.0/24") =>
    ({
      host: "docker5",
      peerName,
      allocRange,
      peers: [{ host: "docker1" }, { host: "docker2" }],
    }) as unknown as RouterInputs;
  test("a peer's ring without this host means joining it; a ring with it, another range or no answer do not", () => {
    expect(ownsAddresses(report, "02:00:00:00:00:03")).toBe(true);
    expect(rejoinEvidence(inputs("02:00:00:00:00:05"), [undefined, report])).toEqual({
      rejoin: true,
      evidence: "docker2 already has a ring for 172.16.16.0/24 without docker5",
    });
    expect(rejoinEvidence(inputs("02:00:00:00:00:03"), [report, report])).toEqual({ rejoin: false });
    expect(rejoinEvidence(inputs("02:00:00:00:00:05", "10.32.0.0/12"), [report])).toEqual({ rejoin: false });
    expect(rejoinEvidence(inputs("02:00:00:00:00:05"), [undefined, undefined])).toEqual({ rejoin: false });
  });
});
