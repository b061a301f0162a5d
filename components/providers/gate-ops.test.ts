/**
 * The gate ignores problems about hosts that are leaving (their routers are deleted after the
 * gate), matching on the problem's fields: leaving `docker1` must not hide `docker10`.
 */
import { isAbout, type LeavingHost } from "./gate-ops";
import type { VerdictProblem } from "../weave/verdict";

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
