/**
 * The pure parts of the harness's Docker performer (test/engine/docker.ts): the `docker create`
 * argv for a LocalLab host, the uploads archive (read back with GNU tar) and the egress rule.
 * The performer itself runs in test/integration/local-lab.test.ts.
 */
import { execFileSync } from "child_process";
import { createArgv, egressRule, tarOf } from "../engine/docker";

const host = {
  name: "weave-lab-s-docker1",
  hostname: "docker1",
  image: "sha256:abc",
  privileged: true,
  restart: "unless-stopped",
  networksAdvanced: [{ name: "weave-lab-s", ipv4Address: "10.77.1.101", aliases: ["docker1"] }],
  ports: [{ internal: 22, external: 2201, ip: "127.0.0.1", protocol: "tcp" }],
  envs: ["A=1", "WEAVE_LAB_MACHINE_ID=00"],
  volumes: [
    { containerPath: "/var/lib/docker" },
    { volumeName: "cache", containerPath: "/var/cache/weave-lab" },
    { hostPath: "/srv/w.tar", containerPath: "/var/lib/weave-lab/images/w.tar", readOnly: true },
  ],
  labels: [{ label: "io.weave-lab.stack", value: "s" }],
  destroyGraceSeconds: 30,
};

describe("the harness's docker create argv", () => {
  it("carries every option LocalLab sets: privileged, network address and alias, loopback port, env, volumes, labels", () => {
    expect(createArgv(host)).toEqual([
      "create",
      "--name",
      "weave-lab-s-docker1",
      "--hostname",
      "docker1",
      "--privileged",
      "--restart",
      "unless-stopped",
      "--network",
      "weave-lab-s",
      "--ip",
      "10.77.1.101",
      "--network-alias",
      "docker1",
      "-p",
      "127.0.0.1:2201:22/tcp",
      "-e",
      "A=1",
      "-e",
      "WEAVE_LAB_MACHINE_ID=00",
      "-v",
      "/var/lib/docker",
      "-v",
      "cache:/var/cache/weave-lab",
      "-v",
      "/srv/w.tar:/var/lib/weave-lab/images/w.tar:ro",
      "--label",
      "io.weave-lab.stack=s",
      "--stop-timeout",
      "30",
      "sha256:abc",
    ]);
  });

  it("adds the capfilter runtime and its binary for the inner engine only when the machine needs it", () => {
    const argv = createArgv(host, { runtime: "capfilter", path: "/opt/rt/filter" });
    expect(argv.slice(argv.indexOf("--runtime"), argv.indexOf("--runtime") + 2)).toEqual([
      "--runtime",
      "capfilter",
    ]);
    expect(argv.join(" ")).toContain(
      "-v /opt/rt/filter:/opt/rt/filter:ro -e WEAVE_LAB_INNER_RUNTIME=/opt/rt/filter",
    );
    expect(createArgv({ ...host, privileged: false }, { runtime: "capfilter", path: "/x" })).not.toContain(
      "--runtime",
    );
  });
});

describe("the uploads archive", () => {
  it("is a tar GNU tar reads, with the paths, modes and contents of the uploads", () => {
    const tar = tarOf([
      { path: "/etc/ssh/key", content: "secret\n", mode: 0o600 },
      { path: "/root/.ssh/authorized_keys", content: "ssh-ed25519 AAAA x\n", mode: 0o644 },
    ]);
    const listing = execFileSync("tar", ["-tvf", "-"], { input: tar, encoding: "utf8" }).trim().split("\n");
    expect(listing.map((l) => [l.split(/\s+/)[0], l.split(/\s+/).pop()])).toEqual([
      ["-rw-------", "etc/ssh/key"],
      ["-rw-r--r--", "root/.ssh/authorized_keys"],
    ]);
    expect(execFileSync("tar", ["-xOf", "-", "etc/ssh/key"], { input: tar, encoding: "utf8" })).toBe(
      "secret\n",
    );
  });
});

describe("the egress rule", () => {
  it("rejects what leaves the lab subnet", () => {
    expect(egressRule("10.77.1.0/24")).toEqual([
      "DOCKER-USER",
      "-s",
      "10.77.1.0/24",
      "!",
      "-d",
      "10.77.1.0/24",
      "-j",
      "REJECT",
    ]);
  });
});
