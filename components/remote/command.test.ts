import { execFileSync, spawnSync } from "child_process";
import fc from "fast-check";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { buildRemoteCommand, DEADLINE_WRAPPER, SECRET_ENV_MISSING_EXIT } from "./command";
import { shellQuote } from "./quote";

/** Run a built command the way sshd does (`sh -c <command>`), feeding `stdin`. */
function runLocally(
  command: string,
  stdin: string,
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync("sh", ["-c", command], { input: stdin, encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("buildRemoteCommand", () => {
  test("secret env reaches the command through stdin and never appears in the command line", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }).filter((s) => !/[\n\0]/.test(s)),
        fc.string().filter((s) => !s.includes("\0")),
        (secret, data) => {
          const b = buildRemoteCommand(["sh", "-c", 'printf "%s|" "$WEAVE_PASSWORD" "$OTHER"; cat'], {
            secretEnv: { WEAVE_PASSWORD: secret, OTHER: "x" },
          });
          // The command line does not depend on the secret at all.
          const other = buildRemoteCommand(["sh", "-c", 'printf "%s|" "$WEAVE_PASSWORD" "$OTHER"; cat'], {
            secretEnv: { WEAVE_PASSWORD: "placeholder", OTHER: "x" },
          });
          expect(b.command).toBe(other.command);
          expect(b.rendered).toContain("WEAVE_PASSWORD=<secret>");
          const r = runLocally(b.command, b.stdinPrefix + data);
          expect(r.stdout).toBe(`${secret}|x|${data}`);
        },
      ),
      { numRuns: 60 },
    );
  });

  test("env, secret env and the argv combine; stdin after the secrets is intact", () => {
    const b = buildRemoteCommand(["sh", "-c", 'printf "%s/%s\\n" "$A" "$S"; cat'], {
      env: { A: "a b" },
      secretEnv: { S: " pw\\n' " },
    });
    expect(runLocally(b.command, b.stdinPrefix + "line1\nline2").stdout).toBe("a b/ pw\\n' \nline1\nline2");
    expect(b.rendered).toBe('A=\'a b\' S=<secret> sh -c \'printf "%s/%s\\n" "$A" "$S"; cat\'');
    expect(b.secrets).toEqual([" pw\\n' "]);
  });

  test("a missing secret line makes the wrapper fail loudly instead of running without it", () => {
    const b = buildRemoteCommand(["true"], { secretEnv: { S: "x" } });
    const r = runLocally(b.command, "");
    expect(r.status).toBe(SECRET_ENV_MISSING_EXIT);
    expect(r.stderr).toContain("secret environment did not arrive on stdin");
  });

  test("sudo and the host-side deadline come first, in that order; logs show neither wrapper", () => {
    const b = buildRemoteCommand(["weave", "status"], {
      sudo: true,
      env: { CHECKPOINT_DISABLE: "1" },
      remoteDeadlineSeconds: 60.2,
    });
    expect(b.command).toBe(
      `sudo -n sh -c ${shellQuote(DEADLINE_WRAPPER)} 61s env CHECKPOINT_DISABLE=1 weave status`,
    );
    expect(b.rendered).toBe("sudo -n CHECKPOINT_DISABLE=1 weave status");
  });

  test("the host-side deadline ends a command that overruns it", () => {
    const b = buildRemoteCommand(["sleep", "30"], { remoteDeadlineSeconds: 1 });
    const r = runLocally(b.command, "");
    // 124 is timeout(1)'s own status: the deadline ended it (sleep 30 would exit 0).
    expect(r.status).toBe(124);
  });

  test("on a host without `timeout` the command still runs, with env, secrets and stdin intact", () => {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), "wl-notimeout-"));
    try {
      for (const tool of ["sh", "env", "printf", "cat"]) {
        fs.symlinkSync(
          execFileSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).trim(),
          path.join(bin, tool),
        );
      }
      const b = buildRemoteCommand(["sh", "-c", 'printf "%s %s " "$A" "$S"; cat'], {
        env: { A: "1" },
        secretEnv: { S: "two" },
        remoteDeadlineSeconds: 5,
      });
      const r = spawnSync(path.join(bin, "sh"), ["-c", b.command], {
        input: b.stdinPrefix + "three",
        encoding: "utf8",
        env: { PATH: bin },
      });
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe("1 two three");
    } finally {
      fs.rmSync(bin, { recursive: true, force: true });
    }
  });

  test("every problem is reported at once, naming the field and never a secret value", () => {
    let message = "";
    try {
      buildRemoteCommand([], {
        env: { "BAD-NAME": "v", DUP: "1" },
        secretEnv: { DUP: "2", ML: "line1\nline2-topsecret", __wl_n: "x" },
      });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain("argv: is empty");
    expect(message).toContain('env.BAD-NAME: "BAD-NAME" is not a valid variable name');
    expect(message).toContain("secretEnv.DUP: is also given in env");
    expect(message).toContain("secretEnv.ML: value contains a line break");
    expect(message).toContain("secretEnv.__wl_n:");
    expect(message).not.toContain("topsecret");
  });

  test("a program name that env would misread is refused", () => {
    expect(() => buildRemoteCommand(["A=b"], { env: { X: "1" } })).toThrow(
      'argv[0]: "A=b" cannot follow `env`',
    );
  });
});
