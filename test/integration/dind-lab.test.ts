/**
 * The real-Weave test lab itself (test/lab/dind.ts): Docker-in-Docker hosts reached over real
 * SSH with pinned keys, egress rejected before anything starts, real faults, nothing left behind.
 * Takes its settings from the environment (`WEAVE_LAB_KIND=dind`, as npm test's real-Weave pass
 * sets them) or prepares the machine itself with test/dind/prepare.sh.
 */
import type { TestLab } from "../lab";
import { createDindLab, dindSettings, preparedDindSettings } from "../lab/dind";
import { run } from "../lab/exec";
import { REPO_ROOT } from "../engine/serialize";

jest.setTimeout(600_000);

describe("DinD hosts with real Weave", () => {
  let lab: TestLab;
  beforeAll(async () => {
    lab = await createDindLab(["alpha", "beta"], preparedDindSettings(REPO_ROOT));
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  test("the lab network's egress is rejected in DOCKER-USER before RETURN, for exactly its /24", async () => {
    const subnet = lab.hosts[0].address.replace(/\.\d+$/, ".0/24");
    const rules = (await run("iptables", ["-S", "DOCKER-USER"])).stdout.trim().split("\n");
    const mine = rules.findIndex((r) => r.includes(`-s ${subnet} ! -d ${subnet}`) && r.includes("-j REJECT"));
    expect(mine).toBeGreaterThan(0);
    const ret = rules.findIndex((r) => r === "-A DOCKER-USER -j RETURN");
    expect(ret === -1 || mine < ret).toBe(true);
  });

  test("each host answers ssh under its own name with a machine-id, real Weave 2.8.1's script and lab/web:1", async () => {
    for (const h of lab.hosts) {
      const r = await lab.ssh(
        h.name,
        "hostname; test -s /etc/machine-id && echo id; grep -m1 '^SCRIPT_VERSION=' /usr/local/bin/weave; docker image inspect -f ok lab/web:1 weaveworks/weave:2.8.1",
      );
      expect(r.code).toBe(0);
      expect(r.stdout.split("\n")).toEqual([h.name, "id", 'SCRIPT_VERSION="2.8.1"', "ok", "ok", ""]);
    }
    const ids = await Promise.all(lab.hosts.map((h) => lab.ssh(h.name, "cat /etc/machine-id")));
    expect(new Set(ids.map((r) => r.stdout)).size).toBe(lab.hosts.length);
  });

  test("faults: a stopped sshd refuses and comes back; a cut link times out and is restored; a replaced host key is refused by the old pin", async () => {
    await lab.faults.stopSshd("beta");
    expect((await lab.ssh("beta", "true")).code).toBe(255);
    await lab.faults.startSshd("beta");
    expect((await lab.ssh("beta", "true")).code).toBe(0);

    await lab.faults.cutLink("beta");
    expect((await lab.ssh("beta", "true", { timeoutMs: 15_000 })).code).not.toBe(0);
    await lab.faults.restoreLink("beta");
    expect((await lab.ssh("beta", "true")).code).toBe(0);

    const oldArgs = lab.sshArgs("alpha");
    const oldPin = lab.hosts.find((h) => h.name === "alpha")!.hostKey;
    const fresh = await lab.faults.replaceHostKey("alpha");
    expect(fresh).not.toBe(oldPin);
    expect((await lab.ssh("alpha", "true")).code).toBe(0);
    // The old known_hosts line no longer matches what the host presents.
    const fs = await import("fs");
    const os = await import("os");
    const path = await import("path");
    const stale = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "wl-kh-")), "known_hosts");
    fs.writeFileSync(stale, `${lab.hosts[0].sshHost} ${oldPin}\n`);
    const refused = await run("ssh", [...lab.sshArgs("alpha", stale), "--", "true"]);
    expect(oldArgs.length).toBeGreaterThan(0);
    expect(refused.code).toBe(255);
    expect(refused.stderr).toMatch(/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
  });

  test("a killed router process is really gone, and destroy leaves no container, network or egress rule", async () => {
    const launched = await lab.ssh(
      "alpha",
      "CHECKPOINT_DISABLE=1 weave launch --name 00:00:00:00:0a:01 >/dev/null",
    );
    expect(launched.code).toBe(0);
    const before = (await lab.ssh("alpha", "pgrep -x weaver")).stdout.trim();
    expect(before).toMatch(/^\d+$/);
    await lab.faults.killRouter("alpha");
    // That process is gone (Docker's restart policy may already have started a new weaver).
    const gone = await lab.ssh("alpha", `kill -0 ${before} 2>/dev/null && echo alive || echo gone`);
    expect(gone.stdout.trim()).toBe("gone");
    const id = lab.id;
    await lab.destroy();
    const left = [
      (await run("docker", ["ps", "-aq", "--filter", `label=io.weave-lab.test-lab=${id}`])).stdout.trim(),
      (await run("docker", ["network", "ls", "-q", "--filter", `name=wlt-${id}`])).stdout.trim(),
      (await run("iptables", ["-S", "DOCKER-USER"])).stdout.includes(`weave-lab-test-${id}`) ? "rule" : "",
    ];
    expect(left).toEqual(["", "", ""]);
  });
});

test("the DinD switch: WEAVE_LAB_KIND=dind without an image is refused naming the setting", () => {
  expect(dindSettings({})).toBeUndefined();
  expect(() => dindSettings({ WEAVE_LAB_KIND: "dind" })).toThrow(/WEAVE_LAB_DIND_IMAGE/);
});
