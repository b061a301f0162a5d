import { spawnSync } from "child_process";
import fc from "fast-check";
import { quoteArgv, redact, renderForLog, shellQuote } from "./quote";

/** What a POSIX shell makes of a quoted command line: the arguments `printf` receives. */
function shellArgs(quoted: string): string[] {
  const r = spawnSync("sh", ["-c", `printf '%s\\0' ${quoted}`], { encoding: "utf8" });
  if (r.status !== 0) {
    throw new Error(`sh failed (${r.status}): ${r.stderr}`);
  }
  return r.stdout.split("\0").slice(0, -1);
}

const nasty = fc.constantFrom(
  "",
  " ",
  "'",
  "''",
  '"',
  "\\",
  "$(id)",
  "`id`",
  "${HOME}",
  "$HOME",
  ";",
  "&&",
  "|",
  "\n",
  "\t",
  "*",
  "?",
  "~",
  "#",
  "!",
  "-n",
  "--",
  "a=b",
  "ünï©ødé ✓",
  "\u0001",
);
// Arbitrary unicode (no NUL, which no argument can carry), mixed with shell syntax.
const argString = fc.oneof(
  fc.string({ unit: "grapheme" }),
  fc.string({ unit: "binary" }).map((s) => s.replace(/\0/g, "")),
  fc.array(fc.oneof(nasty, fc.string()), { maxLength: 6 }).map((p) => p.join("").replace(/\0/g, "")),
);

describe("shellQuote / quoteArgv", () => {
  test("every argv survives a round trip through sh literally, element for element", () => {
    fc.assert(
      fc.property(fc.array(argString, { minLength: 1, maxLength: 6 }), (argv) => {
        expect(shellArgs(quoteArgv(argv))).toEqual(argv);
      }),
      { numRuns: 150 },
    );
  });

  test("each known shell metacharacter arrives as itself", () => {
    const argv = ["", "'", '"', "$(touch /tmp/x)", "`id`", "; ls", "a\nb", "*", "~", "#c", "ü✓"];
    expect(shellArgs(quoteArgv(argv))).toEqual(argv);
  });

  test("plain words stay unquoted so logs read naturally; anything else is single-quoted", () => {
    expect(quoteArgv(["weave", "launch", "--ipalloc-range", "10.32.0.0/12", "a=b"])).toBe(
      "weave launch --ipalloc-range 10.32.0.0/12 a=b",
    );
    expect(shellQuote("")).toBe("''");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote("$x")).toBe("'$x'");
  });

  test("a NUL in an argument is refused, naming its position", () => {
    expect(() => quoteArgv(["a", "b\0c"])).toThrow("argv[1]: contains a NUL character");
  });
});

describe("renderForLog", () => {
  test("shows env, names secret env without its value, and masks secrets anywhere", () => {
    const secret = "hunter2'x";
    const line = renderForLog(["weave", "launch", `--password=${secret}`], {
      env: { CHECKPOINT_DISABLE: "1" },
      secretEnvNames: ["WEAVE_PASSWORD"],
      secrets: [secret],
      sudo: true,
    });
    expect(line).toBe(
      "sudo -n CHECKPOINT_DISABLE=1 WEAVE_PASSWORD=<secret> weave launch '--password=<secret>'",
    );
    expect(line).not.toContain("hunter2");
  });

  test("no secret value ever survives rendering, whatever the argv around it", () => {
    // Secrets with a digit and no quote characters: neither the mask nor quoting can create one.
    const secretArb = fc.stringMatching(/^[A-Za-z0-9 $;()!]{6,20}$/).filter((s) => /\d/.test(s));
    fc.assert(
      fc.property(
        fc.array(fc.string(), { maxLength: 4 }),
        secretArb,
        fc.string(),
        (argv, secret, envValue) => {
          const line = renderForLog([...argv, `x${secret}y`, secret], {
            env: { A: envValue + secret },
            secretEnvNames: ["WEAVE_PASSWORD"],
            secrets: [secret],
          });
          expect(line.includes(secret)).toBe(false);
        },
      ),
    );
  });

  test("redact masks longer secrets whole before shorter ones", () => {
    expect(redact("pw=abcdef and abc", ["abc", "abcdef"])).toBe("pw=<secret> and <secret>");
  });
});
