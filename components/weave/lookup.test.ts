import { readFixture } from "../../test/fixtures";
import { isMissingTool, parseGetent, parseNslookup } from "./lookup";

describe("reading a name lookup made inside a container", () => {
  test("bind's nslookup: the server (<ip>#53) is not an answer, the answer follows Name:", () => {
    const text =
      "Server:\t\t127.0.0.11\nAddress:\t127.0.0.11#53\n\nNon-authoritative answer:\n" +
      "Name:\tweb1.weave.local\nAddress: 172.16.16.2\n";
    expect(parseNslookup(text)).toEqual({ ips: ["172.16.16.2"], notFound: false });
  });

  test("busybox 1.36 nslookup: the server's address is not an answer", () => {
    const text =
      "Server:\t\t172.17.0.1\nAddress:\t172.17.0.1:53\n\n" +
      "Name:\tweb1.weave.local\nAddress: 172.16.16.10\n" +
      "Name:\tweb1.weave.local\nAddress: 172.16.16.2\n\n";
    expect(parseNslookup(text).ips).toEqual(["172.16.16.2", "172.16.16.10"]);
  });

  test("the capture of busybox nslookup from web2 (fixture 08): both web1s", () => {
    expect(parseNslookup(readFixture("08-docker2-docker-exec-web2-nslookup-web1.txt").stdout).ips).toEqual([
      "172.16.16.1",
      "172.16.16.224",
    ]);
  });

  test("busybox 1.28 nslookup numbers its addresses and appends the name", () => {
    const text =
      "Server:    172.17.0.1\nAddress 1: 172.17.0.1\n\n" +
      "Name:      web1.weave.local\nAddress 1: 172.16.16.10 web1.weave.local\nAddress 2: 172.16.16.2 web1.weave.local\n";
    expect(parseNslookup(text).ips).toEqual(["172.16.16.2", "172.16.16.10"]);
  });

  test("NXDOMAIN and an unreachable server are no addresses", () => {
    expect(
      parseNslookup(
        "Server:\t\t172.17.0.1\nAddress:\t172.17.0.1:53\n\n** server can't find nope.weave.local: NXDOMAIN\n",
      ),
    ).toEqual({ ips: [], notFound: true });
    expect(parseNslookup(";; connection timed out; no servers could be reached\n")).toEqual({
      ips: [],
      notFound: false,
    });
  });

  test("getent hosts: one line per address; IPv6 lines ignored", () => {
    expect(
      parseGetent("172.16.16.10    web1.weave.local\n172.16.16.2     web1.weave.local\nfe80::1 x\n"),
    ).toEqual(["172.16.16.2", "172.16.16.10"]);
  });

  test("a program missing from the image is Docker's exit 126/127 with 'not found', not a failed probe", () => {
    expect(
      isMissingTool(
        126,
        'OCI runtime exec failed: exec failed: container_linux.go:380: starting container process caused: exec: "getent": executable file not found in $PATH: unknown',
      ),
    ).toBe(true);
    expect(isMissingTool(127, "exec: nslookup: not found")).toBe(true);
    expect(isMissingTool(1, "ping: sendto: Network unreachable")).toBe(false);
    expect(isMissingTool(126, "permission denied")).toBe(false);
  });
});
