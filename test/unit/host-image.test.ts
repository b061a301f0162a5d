/**
 * docker/host read as text (the local-lab integration test builds it): the Debian base and
 * packages, the SSH setup that makes host-key pinning work, and agreement between the files and
 * what LocalLab passes and injects.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { contextDigest, defaultBuildContext, IMAGES_DIR } from "../../components/local-lab";

const DIR = path.resolve(__dirname, "..", "..", "docker", "host");
const read = (f: string): string => fs.readFileSync(path.join(DIR, f), "utf8");

/** Dockerfile instructions with continuation lines joined and comments dropped. */
function instructions(text: string): { op: string; args: string }[] {
  const logical = text
    .split("\n")
    .filter((l) => !/^\s*#/.test(l))
    .join("\n")
    .replace(/\\\n/g, " ");
  return logical
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const m = /^(\w+)\s+(.*)$/.exec(l)!;
      return { op: m[1].toUpperCase(), args: m[2] };
    });
}

describe("docker/host/Dockerfile", () => {
  const ins = instructions(read("Dockerfile"));
  const args = (op: string): string[] => ins.filter((i) => i.op === op).map((i) => i.args);

  it("builds on Debian bookworm (any bookworm image as BASE_IMAGE) with the engine and tools from Debian packages", () => {
    const preFrom = ins.slice(
      0,
      ins.findIndex((i) => i.op === "FROM"),
    );
    expect(preFrom).toEqual([{ op: "ARG", args: "BASE_IMAGE=debian:bookworm-slim" }]);
    expect(args("FROM")).toEqual(["${BASE_IMAGE}"]);
    const install = args("RUN").find((r) => r.includes("apt-get install"))!;
    for (const pkg of ["docker.io", "openssh-server", "busybox-static", "zstd"]) {
      expect(install.split(/\s+/)).toContain(pkg);
    }
  });

  it("takes exactly the build args LocalLab passes", () => {
    const names = [...new Set(args("ARG").map((a) => a.split("=")[0]))];
    expect(names.sort()).toEqual(["BASE_IMAGE", "WEAVE_DISTRIBUTION", "WEAVE_VERSION"]);
    const lab = fs.readFileSync(path.resolve(__dirname, "..", "..", "components", "local-lab.ts"), "utf8");
    for (const n of names) expect(lab).toMatch(new RegExp(`\\b${n}: `));
  });

  it("starts with an empty machine-id that the entrypoint fills (pinned by WEAVE_LAB_MACHINE_ID)", () => {
    expect(args("RUN").some((r) => r.includes(": > /etc/machine-id"))).toBe(true);
    expect(read("entrypoint.sh")).toContain("WEAVE_LAB_MACHINE_ID");
  });

  it("ships no host key of its own, so every host presents the one LocalLab generated and pins", () => {
    expect(args("RUN").some((r) => r.includes("rm -f /etc/ssh/ssh_host_*"))).toBe(true);
    expect(args("RUN").some((r) => /ssh-keygen\s+-A|ssh-keygen.*-t/.test(r))).toBe(false);
    expect(read("entrypoint.sh")).not.toMatch(/ssh-keygen/);
    expect(read("entrypoint.sh")).toContain('[ -s "$R/etc/ssh/ssh_host_ed25519_key" ] || die "no host key');
  });

  it("configures sshd for key-only root login on the injected ed25519 host key", () => {
    const conf = Object.fromEntries(
      read("sshd_config")
        .split("\n")
        .filter((l) => l.trim() && !l.startsWith("#"))
        .map((l) => l.trim().split(/\s+/, 2) as [string, string]),
    );
    expect(conf).toMatchObject({
      HostKey: "/etc/ssh/ssh_host_ed25519_key",
      PermitRootLogin: "prohibit-password",
      PasswordAuthentication: "no",
      PubkeyAuthentication: "yes",
      AuthorizedKeysFile: "/root/.ssh/authorized_keys",
    });
    expect(args("COPY")).toContain("sshd_config /etc/ssh/sshd_config");
  });

  it("injects keys at the paths sshd reads (LocalLab's uploads)", () => {
    const lab = fs.readFileSync(path.resolve(__dirname, "..", "..", "components", "local-lab.ts"), "utf8");
    expect(lab).toContain('file: "/etc/ssh/ssh_host_ed25519_key"');
    expect(lab).toContain('file: "/root/.ssh/authorized_keys"');
  });

  it("downloads nothing at build time: the weave script comes from the weaveexec image at start", () => {
    expect(args("RUN").some((r) => /\/usr\/local\/bin\/weave(\s|$)/.test(r))).toBe(false);
    expect(args("ADD")).toEqual([]);
    expect(read("entrypoint.sh")).toContain(
      'docker run --rm --entrypoint cat "$EXEC_IMAGE" /home/weave/weave',
    );
  });

  it("loads offline archives from where LocalLab mounts weaveImagesArchive", () => {
    expect(read("entrypoint.sh")).toContain(`ARCHIVE_DIR="$R${IMAGES_DIR}"`);
  });

  it("reports healthy only when sshd, the inner engine and the Weave images are ready", () => {
    const hc = args("HEALTHCHECK")[0];
    expect(hc).toContain("test -f /run/weave-lab/ready");
    expect(hc).toContain('kill -0 "$(cat /run/sshd.pid)"');
    expect(hc).toContain("docker version");
    expect(read("entrypoint.sh")).toMatch(/touch "\$READY"/);
    expect(args("ENTRYPOINT")).toEqual(['["/usr/local/bin/weave-lab-host"]']);
  });

  it("has shell scripts bash can parse", () => {
    for (const f of ["entrypoint.sh", "web/cgi-bin/host"]) {
      execFileSync("bash", ["-n", path.join(DIR, f)]);
    }
  });
});

describe("LocalLab build context", () => {
  it("is found from the module and its digest changes when a file changes", () => {
    expect(defaultBuildContext()).toBe(DIR);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ctx-"));
    fs.writeFileSync(path.join(tmp, "Dockerfile"), "FROM a\n");
    const d1 = contextDigest(tmp);
    expect(contextDigest(tmp)).toBe(d1);
    fs.writeFileSync(path.join(tmp, "Dockerfile"), "FROM b\n");
    expect(contextDigest(tmp)).not.toBe(d1);
    fs.rmSync(tmp, { recursive: true });
  });
});
