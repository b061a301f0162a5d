/**
 * The double's Go text/template subset: control structures and variables with Go's semantics,
 * Go's parse errors, and weave-lab's consensus template evaluated over the real 2.8.1 reports
 * of the fixtures (their JSON is the object Weave executes templates over).
 */
import * as fs from "fs";
import { FIXTURE_DIR, readJsonFixture } from "../../fixtures";
import { CONSENSUS_TEMPLATE, parseReport } from "../../../components/weave/report";
import type { WeaveReport } from "../../../components/weave/types";
import { executeTemplate } from "./template";

/** A report fixture as template data (UIDs as the placeholders `encodeJson` writes back exactly). */
const data = (file: string): Record<string, unknown> =>
  JSON.parse(readJsonFixture(file).replace(/("UID"\s*:\s*)(\d+)/g, '$1"@@UID$2@@"')) as Record<
    string,
    unknown
  >;
const d13 = data("13-docker1-weave-report-seed-before-containers.json");
const ok = (body: string) => ({ status: 200, body });
const run = (t: string, d: Record<string, unknown> = d13) => executeTemplate(t, d);

describe("range", () => {
  // Fixture 13's docker1 lists docker4 first (Weave's peer map order).
  it("sets dot to each element", () => {
    expect(run("{{range .Router.Peers}}{{.NickName}} {{end}}")).toEqual(
      ok("docker4 docker1 docker2 docker3 "),
    );
  });
  it("declares index and element variables; if on an int is false only for 0", () => {
    expect(run("[{{range $i, $p := .Router.Peers}}{{if $i}},{{end}}{{json $p.NickName}}{{end}}]")).toEqual(
      ok('["docker4","docker1","docker2","docker3"]'),
    );
  });
  it("one variable is the element", () => {
    expect(run("{{range $p := .Router.Peers}}{{$p.NickName}}.{{end}}")).toEqual(
      ok("docker4.docker1.docker2.docker3."),
    );
  });
  it("runs zero times over null (a nil slice) and takes else when empty", () => {
    expect(run("a{{range .IPAM.PendingClaims}}x{{end}}b")).toEqual(ok("ab"));
    expect(run("{{range .IPAM.PendingClaims}}x{{else}}none{{end}}")).toEqual(ok("none"));
    expect(run("{{range .Router.Peers}}x{{else}}none{{end}}")).toEqual(ok("xxxx"));
  });
  it("$ is the root inside a range; a nested range sees the outer variables", () => {
    expect(run("{{range .Router.Peers}}{{$.Version}}{{end}}")).toEqual(ok("2.8.1".repeat(4)));
    expect(
      run(
        "{{range $i, $p := .Router.Peers}}{{if $i}}{{else}}{{range $p.Connections}}{{$p.NickName}}>{{.NickName}} {{end}}{{end}}{{end}}",
      ),
    ).toEqual(ok("docker4>docker2 docker4>docker3 docker4>docker1 "));
  });
  it("cannot range over a struct", () => {
    expect(run("{{range .Router}}x{{end}}")).toEqual({
      status: 500,
      body: "error during template execution",
    });
  });
  it("keeps what was written before an execution error inside the loop", () => {
    expect(run("{{range .Router.Peers}}{{.NickName}}{{.Nope}}{{end}}")).toEqual(
      ok("docker4error during template execution"),
    );
  });
});

describe("if and with", () => {
  it("follow Go's truth: false, 0, empty strings and slices, nil", () => {
    expect(run("{{if .Router.Encryption}}y{{else}}n{{end}}")).toEqual(ok("n"));
    expect(run("{{if .Router.TerminationCount}}y{{else}}n{{end}}")).toEqual(ok("n"));
    expect(run("{{if .Router.Port}}y{{else}}n{{end}}")).toEqual(ok("y"));
    expect(run("{{if .Router.TrustedSubnets}}y{{else}}n{{end}}")).toEqual(ok("n"));
    expect(run("{{if .IPAM.Paxos}}y{{else}}n{{end}}")).toEqual(ok("n"));
    expect(run("{{if .Router}}y{{else}}n{{end}}")).toEqual(ok("y"));
    expect(run("{{if .VersionCheck.NewVersion}}y{{else}}n{{end}}")).toEqual(ok("n"));
  });
  it("else if chains share one end", () => {
    const t = "{{if .IPAM.Paxos}}p{{else if .IPAM.Entries}}e{{else}}-{{end}}";
    expect(run(t)).toEqual(ok("e"));
  });
  it("with sets dot, or takes else", () => {
    expect(run("{{with .IPAM}}{{.Range}}{{end}}")).toEqual(ok("172.16.16.0/24"));
    expect(run("{{with .IPAM.Paxos}}{{.Quorum}}{{else}}no paxos{{end}}")).toEqual(ok("no paxos"));
  });
});

describe("the report's omitted sections are nil pointers", () => {
  const noIpam = { ...d13 };
  delete noIpam.IPAM;
  it("json writes null, if is false, a field of it fails", () => {
    expect(run("{{json .IPAM}}", noIpam)).toEqual(ok("null"));
    expect(run("{{if .IPAM}}y{{else}}n{{end}}", noIpam)).toEqual(ok("n"));
    expect(run("{{.IPAM}}", noIpam)).toEqual(ok("<nil>"));
    expect(run("r{{.IPAM.Range}}", noIpam)).toEqual(ok("rerror during template execution"));
  });
  it("a field the report does not have still fails", () => {
    expect(run("{{.Nope}}")).toEqual({ status: 500, body: "error during template execution" });
    expect(run("{{.Router.Nope}}")).toEqual({ status: 500, body: "error during template execution" });
  });
});

describe("variables, trim markers, comments", () => {
  it("a declaration prints nothing and is visible after it", () => {
    expect(run("{{$n := .Router.NickName}}[{{$n}}]")).toEqual(ok("[docker1]"));
  });
  it("a variable lives until the end of its block", () => {
    expect(run("{{if .Router}}{{$n := .Version}}{{end}}{{$n}}")).toEqual({
      status: 400,
      body: 'template: format:1: undefined variable "$n"',
    });
    expect(run("{{range $i, $p := .Router.Peers}}{{end}}{{$p}}").body).toBe(
      'template: format:1: undefined variable "$p"',
    );
  });
  it("trim markers eat the whitespace on their side", () => {
    expect(run("a  {{- .Version -}} \n b")).toEqual(ok("a2.8.1b"));
    expect(run("a {{.Version}} b")).toEqual(ok("a 2.8.1 b"));
  });
  it("comments print nothing", () => {
    expect(run("a{{/* note */}}b")).toEqual(ok("ab"));
  });
});

describe("parse errors, worded as Go words them", () => {
  it.each([
    ["{{.Version", "template: format:1: unclosed action"],
    ["x\n{{.Version", "template: format:2: unclosed action"],
    ["{{range .Router.Peers}}x", "template: format:1: unexpected EOF"],
    ["{{end}}", "template: format:1: unexpected {{end}}"],
    ["a\n{{else}}", "template: format:2: unexpected {{else}}"],
    ["{{if .Ready}}a{{else}}b{{else}}c{{end}}", "template: format:1: expected end; found {{else}}"],
    ["{{printf .Version}}", 'template: format:1: function "printf" not defined'],
    ["{{json}}", "template: format:1: wrong number of args for json"],
    ["{{}}", "template: format:1: missing value for command"],
  ])("%j", (t, msg) => {
    expect(run(t)).toEqual({ status: 400, body: msg });
  });
});

describe("weave-lab's consensus template over the real reports", () => {
  const reports = fs
    .readdirSync(FIXTURE_DIR)
    .filter((f) => /report.*\.json$/.test(f))
    .sort();

  /** The full report with what the consensus view does not fetch emptied. */
  const expectedView = (r: WeaveReport): WeaveReport => ({
    ready: r.ready,
    version: r.version,
    versionCheck: { enabled: false, success: false, newVersion: "", nextCheckAt: "" },
    router: {
      ...r.router,
      protocol: "",
      protocolMinVersion: 0,
      protocolMaxVersion: 0,
      peerDiscovery: false,
      nickname: "",
      port: 0,
      terminationCount: 0,
      targets: [],
      trustedSubnets: [],
      interface: "",
      peers: r.router.peers.map((p) => ({ ...p, uid: "", shortId: 0, version: 0, connections: [] })),
    },
    ...(r.ipam ? { ipam: r.ipam } : {}),
  });

  it("covers reports with and without a ring", () => {
    expect(reports.length).toBeGreaterThanOrEqual(10);
  });

  it.each(reports)("%s: parses to the full report's consensus fields", (file) => {
    const out = run(CONSENSUS_TEMPLATE, data(file));
    expect(out.status).toBe(200);
    expect(parseReport(out.body, "consensus")).toEqual(expectedView(parseReport(readJsonFixture(file))));
  });

  it("leaves IPAM out when it is off, as the full report does", () => {
    const d = data("13-docker1-weave-report-seed-before-containers.json");
    delete d.IPAM;
    const out = run(CONSENSUS_TEMPLATE, d);
    expect(JSON.parse(out.body)).not.toHaveProperty("IPAM");
    expect(parseReport(out.body, "consensus").ipam).toBeUndefined();
  });

  it("is much smaller than the whole report once peers list their connections", () => {
    const full = run("{{json .}}").body.length;
    const slim = run(CONSENSUS_TEMPLATE).body.length;
    expect(slim).toBeLessThan(full / 2);
  });
});
