import { HostKeyMismatchError, RemoteCommandError, RemoteTimeoutError, formatMs, tailLines } from "./errors";
import { planConnection } from "./dial-plan";
import type { ConnectParams } from "./types";
import { fakePrivateKey } from "../../test/fake-key";

describe("error wording", () => {
  test("a failed command names host, command, exit code and only the stderr tail", () => {
    const stderr = Array.from({ length: 50 }, (_, i) => `err ${i + 1}`).join("\n") + "\n";
    const e = new RemoteCommandError(
      "host2",
      "weave launch --ipalloc-range 10.32.0.0/12",
      1,
      tailLines(stderr),
    );
    expect(e.message.split("\n")[0]).toBe(
      "host host2: `weave launch --ipalloc-range 10.32.0.0/12` exited with code 1; stderr:",
    );
    expect(e.message).toContain("[… 30 earlier line(s)]");
    expect(e.message).toContain("    err 31\n");
    expect(e.message).toContain("    err 50");
    expect(e.message).not.toContain("err 30\n");
    expect(e.hostName).toBe("host2");
    expect(e.name).toBe("RemoteCommandError");
  });

  test("a signal and an empty stderr are said so", () => {
    expect(new RemoteCommandError("h", "x", 137, "", "KILL").message).toBe(
      "host h: `x` was killed by signal KILL; stderr was empty",
    );
  });

  test("a timeout names host, what was awaited, how long and the command", () => {
    expect(new RemoteTimeoutError("host1", "weave prime", 90_000, "the ring to be primed").message).toBe(
      "host host1: gave up after 90 s waiting for the ring to be primed: `weave prime`",
    );
    expect(formatMs(1500)).toBe("1.5 s");
    expect(formatMs(250)).toBe("250 ms");
  });

  test("a host-key mismatch shows both fingerprints and how to check", () => {
    const m = new HostKeyMismatchError("host1", "root@10.0.0.1:22", "SHA256:aaa", "SHA256:bbb").message;
    expect(m).toContain(
      "host host1 (root@10.0.0.1:22): host key mismatch, refusing to connect: expected SHA256:aaa, server presented SHA256:bbb",
    );
    expect(m).toContain("ssh-keyscan -p <port> root@10.0.0.1");
  });
});

describe("planConnection", () => {
  const base: ConnectParams = {
    hostName: "host1",
    host: "10.0.0.1",
    port: 22,
    user: "root",
    privateKey: fakePrivateKey("SECRETKEYMATERIAL"),
    passphrase: "my-passphrase",
    hostKey: "SHA256:" + "A".repeat(43),
    insecureIgnoreHostKey: false,
    sudo: false,
    connectTimeoutSeconds: 60,
  };

  test("valid settings pass, and a jump host inherits the host's key", () => {
    const plan = planConnection({
      ...base,
      jumpHost: { host: "bastion", port: 2222, user: "ops", hostKey: base.hostKey },
    });
    expect(plan.target.label).toBe("root@10.0.0.1:22");
    expect(plan.jump?.label).toBe("jump host ops@bastion:2222");
    expect(plan.jump?.privateKey).toBe(base.privateKey);
  });

  test("every problem is listed at once and no secret appears", () => {
    let message = "";
    try {
      planConnection({
        ...base,
        host: "",
        port: 70000,
        hostKey: undefined,
        privateKey: undefined,
        agent: undefined,
        jumpHost: { host: "b", port: 0, user: "", hostKey: "nonsense" },
      });
    } catch (e) {
      message = (e as Error).message;
    }
    const saved = process.env.SSH_AUTH_SOCK;
    expect(message).toContain("host: is empty");
    expect(message).toContain("port: 70000 is not a port (1–65535)");
    if (!saved) {
      expect(message).toContain("privateKey: none given and no SSH agent");
    }
    expect(message).toContain("hostKey: not given for host host1");
    expect(message).toContain("jumpHost.port: 0 is not a port");
    expect(message).toContain("jumpHost.user: is empty");
    expect(message).toContain('jumpHost.hostKey: "nonsense" is neither a public key line nor a fingerprint');
    expect(message).not.toContain("SECRETKEYMATERIAL");
    expect(message).not.toContain("my-passphrase");
  });

  test("insecureIgnoreHostKey lifts only the host-key requirement", () => {
    expect(() => planConnection({ ...base, hostKey: undefined, insecureIgnoreHostKey: true })).not.toThrow();
    expect(() => planConnection({ ...base, hostKey: undefined })).toThrow(
      /insecureIgnoreHostKey \(insecure\)/,
    );
  });
});
