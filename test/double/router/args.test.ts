import { optionsLine, parseRouterArgs, RouterConfig, RouterFatal } from "./args";

const ok = (argv: string[], env: NodeJS.ProcessEnv = {}): RouterConfig => {
  const r = parseRouterArgs(argv, env);
  if ("fatal" in r) throw new Error(r.fatal);
  return r;
};
const fatal = (argv: string[]): RouterFatal => parseRouterArgs(argv, {}) as RouterFatal;

describe("router command line", () => {
  it("takes the script's injected flags, lets the user's later value win, and keeps peers", () => {
    const c = ok([
      "--port",
      "6783",
      "--nickname",
      "docker1",
      "--ipalloc-range",
      "10.32.0.0/12",
      "--plugin",
      "--proxy",
      "--ipalloc-range",
      "172.16.16.0/24",
      "--name",
      "::3",
      "10.10.10.102",
      "h3:6790",
    ]);
    expect(c.range).toEqual({ start: 0xac101000, size: 256, prefix: 24 });
    expect(c.name).toBe("00:00:00:00:00:03");
    expect(c.peers).toEqual(["10.10.10.102", "h3:6790"]);
    expect([c.proxy, c.plugin, c.dns, c.discovery, c.dnsDomain, c.dnsTtl]).toEqual([
      true,
      true,
      true,
      true,
      "weave.local.",
      1,
    ]);
  });

  it("normalises seed names and the DNS domain", () => {
    const c = ok([
      "--ipalloc-range",
      "172.16.16.0/24",
      "--ipalloc-init",
      "seed=::1,02:00:00:00:00:0A",
      "--dns-domain",
      "lab.example",
    ]);
    expect(c.init).toEqual({ kind: "seed", peers: ["00:00:00:00:00:01", "02:00:00:00:00:0a"] });
    expect(c.dnsDomain).toBe("lab.example.");
  });

  it("reads the password from WEAVE_PASSWORD and never prints it in the options line", () => {
    const c = ok(["--password", "s3cret", "--nickname", "a"], {});
    expect(c.password).toBe("s3cret");
    expect(optionsLine(c.raw)).toBe("map[nickname:a]");
    expect(ok([], { WEAVE_PASSWORD: "envpw" }).password).toBe("envpw");
  });

  it("words start-up failures like weaver (fixture 12 and reference §5.2)", () => {
    expect(
      fatal(["--ipalloc-range", "10.32.0.0/12", "--ipalloc-default-subnet", "172.16.16.0/25"]).fatal,
    ).toBe(
      "IP address allocation default subnet 172.16.16.0/25 does not overlap with allocation range 10.32.0.0/12",
    );
    expect(fatal(["--ipalloc-range", "10.32.0.1/12"]).fatal).toBe(
      "invalid subnet - bits after network prefix are not all zero: 10.32.0.1/12",
    );
    expect(fatal(["--ipalloc-init", "consensus=2"]).fatal).toBe(
      "--ipalloc-init specified without --ipalloc-range.",
    );
    expect(fatal(["--ipalloc-range", "10.32.0.0/12", "--ipalloc-init", "bogus"]).fatal).toBe(
      "Unable to parse --ipalloc-init: unknown mode: bogus",
    );
    expect(fatal(["--ipalloc-range", "10.32.0.0/12", "--ipalloc-init", "seed"]).fatal).toBe(
      "Unable to parse --ipalloc-init: seed mode requires peer name list",
    );
    expect(fatal(["--name", "xyz"]).fatal).toBe('invalid peer name format: "xyz"');
    expect(fatal(["--resume", "10.0.0.1"]).fatal).toBe(
      "You must not specify an initial peer list in conjunction with --resume",
    );
    // Flag syntax errors stop weaver before its first log line; value errors come after it.
    expect(fatal(["--bogus"])).toEqual({ fatal: "flag provided but not defined: -bogus" });
    expect(fatal(["--name", "xyz"]).raw?.get("name")).toBe("xyz");
  });

  it("--ipalloc-range '' disables IPAM", () => {
    expect(ok(["--ipalloc-range", ""]).range).toBeUndefined();
  });
});
