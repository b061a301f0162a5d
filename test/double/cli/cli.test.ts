import { readFixture } from "../../fixtures";
import { humanDuration, parseRunArgs, table } from "./docker";
import { goJson, renderTemplate, TemplateError } from "./gotemplate";
import { collectCidrArgs, containerFqdn, dockerApiRefusal, lastFlag } from "./weavecore";
import { DEFAULT_CONFIG } from "../state";
import { inSubnet } from "./net";

describe("docker double: run flags", () => {
  test("combined short flags, --name=, -e and the command after the image are kept literally", () => {
    const o = parseRunArgs([
      "-dP",
      "--name=web2",
      "-e",
      "WEAVE_CIDR=net:172.16.16.128/25",
      "lab/web:1",
      "ping",
      "-c",
      "2",
      "web2",
    ]);
    expect(o).toEqual({
      values: [
        ["--name", "web2"],
        ["--env", "WEAVE_CIDR=net:172.16.16.128/25"],
      ],
      bools: new Set(["--detach", "--publish-all"]),
      image: "lab/web:1",
      cmd: ["ping", "-c", "2", "web2"],
    });
  });

  test("an unknown flag and a missing image are errors, as in Docker", () => {
    expect(parseRunArgs(["--bogus", "img"])).toEqual({ error: "unknown flag: --bogus" });
    expect(parseRunArgs(["-d"])).toEqual({ error: '"docker run" requires at least 1 argument.' });
  });
});

describe("docker double: table output", () => {
  test("docker ps -a after a launch lays out columns exactly like Docker's tabwriter", () => {
    const want = readFixture("01-docker1-docker-ps-a.txt").stdout;
    const rows = want
      .trimEnd()
      .split("\n")
      .map((l) => l.split(/ {3,}/));
    // The capture's PORTS column is empty, which the splitter above cannot see: put it back.
    const withPorts = rows.map((r) => (r.length === 6 ? [...r.slice(0, 5), "", r[5]] : r));
    expect(table(withPorts)).toBe(want);
  });

  test("an empty docker ps -a is the header alone, padded to the minimum width", () => {
    expect(table([["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"]])).toBe(
      readFixture("07-docker4-docker-ps-a-after-reset.txt").stdout,
    );
  });

  test("ages read like Docker's HumanDuration", () => {
    expect([500, 1000, 2000, 61_000, 150_000, 3_600_000].map(humanDuration)).toEqual([
      "Less than a second",
      "1 second",
      "2 seconds",
      "About a minute",
      "2 minutes",
      "About an hour",
    ]);
  });
});

describe("docker double: Go templates", () => {
  const v = {
    Server: { Version: "20.10.24+dfsg1", ApiVersion: "1.41", MinAPIVersion: "1.12" },
    Config: { Env: ["A=1"] },
    State: { Running: true },
  };
  test("fields, json and Go struct names that differ from the JSON tags", () => {
    expect(renderTemplate("{{.Server.Version}} {{.Server.APIVersion}} {{.Server.MinAPIVersion}}", v)).toBe(
      "20.10.24+dfsg1 1.41 1.12",
    );
    expect(renderTemplate("{{json .Config.Env}} {{.State.Running}}", v)).toBe('["A=1"] true');
  });
  test("json escapes HTML characters as Go does", () => {
    expect(goJson({ a: "<x>&" })).toBe('{"a":"\\u003cx\\u003e\\u0026"}');
  });
  test("unknown functions and unclosed actions are errors, not silent output", () => {
    expect(() => renderTemplate("{{bogus .X}}", v)).toThrow(TemplateError);
    expect(() => renderTemplate("{{.X", v)).toThrow(TemplateError);
  });
});

describe("weave double: script helpers", () => {
  test("address arguments are collected like collect_cidr_args (ip: stripped, net: kept)", () => {
    expect(collectCidrArgs(["ip:172.16.16.250/24", "net:default", "net:10.0.0.0/8", "plain"])).toEqual({
      cidrs: ["172.16.16.250/24", "net:default", "net:10.0.0.0/8"],
      count: 3,
    });
    expect(collectCidrArgs(["172.16.16.1", "c"])).toEqual({ cidrs: [], count: 0 });
  });

  test("only hostnames with a domain part are registered in DNS", () => {
    const c = (Hostname: string, Domainname: string) =>
      ({ Config: { Hostname, Domainname } }) as unknown as Parameters<typeof containerFqdn>[0];
    expect(containerFqdn(c("web2", "weave.local"))).toBe("web2.weave.local");
    expect(containerFqdn(c("plug.weave.local", ""))).toBe("plug.weave.local");
    expect(containerFqdn(c("80509d3e2ecd", ""))).toBeUndefined();
    expect(containerFqdn(c("web.", ""))).toBeUndefined();
  });

  test("the last occurrence of a router flag wins (Go flag semantics)", () => {
    expect(
      lastFlag(["--ipalloc-range", "10.32.0.0/12", "--ipalloc-range=172.16.16.0/24"], ["--ipalloc-range"]),
    ).toBe("172.16.16.0/24");
  });

  test("Docker engines whose minimum API is above Weave's refuse it with the daemon's words (G1)", () => {
    expect(dockerApiRefusal(DEFAULT_CONFIG)).toBeUndefined();
    expect(dockerApiRefusal({ ...DEFAULT_CONFIG, dockerMinApiVersion: "1.24" })).toBe(
      "unable to connect to docker: API error (400): client version 1.18 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version",
    );
    expect(
      dockerApiRefusal({ ...DEFAULT_CONFIG, dockerMinApiVersion: "1.24", weaveDistribution: "rajch" }),
    ).toBeUndefined();
    expect(
      dockerApiRefusal({ ...DEFAULT_CONFIG, dockerMinApiVersion: "1.44", weaveDistribution: "rajch" }),
    ).toMatch(/client version 1.24 is too old/);
    expect(
      dockerApiRefusal(
        { ...DEFAULT_CONFIG, dockerMinApiVersion: "1.44", weaveDistribution: "rajch" },
        { DOCKER_API_VERSION: "1.44" },
      ),
    ).toBeUndefined();
  });

  test("subnet membership decides who can reach whom on the emulated wire", () => {
    expect(inSubnet("172.16.16.128", "172.16.16.1/24")).toBe(true);
    expect(inSubnet("172.16.16.128", "172.16.16.96/25")).toBe(false);
    expect(inSubnet("172.16.16.1", "1.1.1.1/24")).toBe(false);
  });
});
