import { readFixture } from "../../test/fixtures";
import { checkCompat, compatTable, defaultDockerApiVersion, renderCompatTable } from "./compat";
import { parseDockerVersionLine } from "./ps";

const WW = { distribution: "weaveworks" as const, version: "2.8.1" };
const RAJCH = { distribution: "rajch" as const, version: "2.9.0" };
const engine = (serverVersion: string, apiVersion: string, minApiVersion: string) => ({
  serverVersion,
  apiVersion,
  minApiVersion,
});

describe("checkCompat", () => {
  test("19: the lab's Debian engine 20.10.24+dfsg1 runs weaveworks 2.8.1 at API 1.18", () => {
    const facts = parseDockerVersionLine(readFixture("19-docker1-docker-version-server-api.txt").stdout);
    expect(checkCompat(WW, facts, "docker1")).toEqual({ ok: true, apiVersion: "1.18" });
    expect(checkCompat(RAJCH, facts, "docker1")).toEqual({ ok: true, apiVersion: "1.24" });
  });

  test("engine 24 runs both", () => {
    expect(checkCompat(WW, engine("24.0.9", "1.43", "1.12")).ok).toBe(true);
    expect(checkCompat(RAJCH, engine("24.0.9", "1.43", "1.12")).ok).toBe(true);
  });

  test.each([
    ["25.0.3", "1.44"],
    ["27.5.1", "1.47"],
  ])("engine %s refuses weaveworks 2.8.1 and says to pin ≤ 24 or use rajch; rajch runs", (v, api) => {
    const r = checkCompat(WW, engine(v, api, "1.24"), "docker2");
    expect(r).toEqual({
      ok: false,
      reason: `docker2 cannot run Weave weaveworks 2.8.1: Docker Engine ${v} accepts API 1.24 or newer, but weaveworks 2.8.1 speaks API 1.18`,
      fix: expect.stringMatching(/Pin Docker Engine 24\.x or older on docker2 .*distribution to "rajch"/),
    });
    expect(checkCompat(RAJCH, engine(v, api, "1.24"))).toEqual({ ok: true, apiVersion: "1.24" });
  });

  test("engine 29 (min API 1.44) refuses both by default; rajch with DOCKER_API_VERSION 1.44 passes", () => {
    const e29 = engine("29.0.0", "1.52", "1.44");
    const ww = checkCompat(WW, e29, "docker3");
    expect(ww.ok).toBe(false);
    if (!ww.ok) expect(ww.fix).toMatch(/Pin Docker Engine 24\.x or older on docker3/);
    const r = checkCompat(RAJCH, e29, "docker3");
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toBe(
        "docker3 cannot run Weave rajch 2.9.0: Docker Engine 29.0.0 accepts API 1.44 or newer, but rajch 2.9.0 speaks API 1.24",
      );
      expect(r.fix).toMatch(
        /Pin Docker Engine 28\.x or older on docker3, or set network\.weave\.dockerApiVersion to "1\.44"/,
      );
    }
    expect(checkCompat({ ...RAJCH, dockerApiVersion: "1.44" }, e29)).toEqual({
      ok: true,
      apiVersion: "1.44",
    });
  });

  test("weaveworks ignores DOCKER_API_VERSION, and the message says so", () => {
    const r = checkCompat({ ...WW, dockerApiVersion: "1.24" }, engine("25.0.0", "1.44", "1.24"));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/DOCKER_API_VERSION=1\.24 is ignored by weaveworks 2\.8\.1/);
  });

  test("an override newer than the engine supports is refused", () => {
    const r = checkCompat({ ...RAJCH, dockerApiVersion: "1.50" }, engine("24.0.9", "1.43", "1.12"));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.fix).toMatch(/dockerApiVersion to 1\.43 or lower/);
  });

  test("docker client older than the script's minimum is refused", () => {
    const r = checkCompat(WW, { ...engine("20.10.24", "1.41", "1.12"), clientVersion: "1.9.1" }, "docker4");
    expect(r).toMatchObject({ ok: false, reason: expect.stringContaining("docker client is 1.9.1") });
    expect(checkCompat(RAJCH, { ...engine("20.10.24", "1.41", "1.12"), clientVersion: "1.11.2" }).ok).toBe(
      false,
    );
    expect(checkCompat(WW, { ...engine("20.10.24", "1.41", "1.12"), clientVersion: "1.11.2" }).ok).toBe(true);
  });

  test("unreadable engine facts are refused with the values shown", () => {
    expect(checkCompat(WW, engine("", "?", "1.12"))).toMatchObject({
      ok: false,
      reason: expect.stringContaining('API "?"'),
    });
  });

  test("rajch before 2.8.3 still spoke API 1.18", () => {
    expect(defaultDockerApiVersion("rajch", "2.8.2")).toBe("1.18");
    expect(defaultDockerApiVersion("rajch", "2.8.3")).toBe("1.24");
  });
});

describe("compatibility table", () => {
  test("rows match the known facts: ≤24 both, 25–28 rajch only, 29 neither by default", () => {
    expect(compatTable().map((r) => [r.engines, r.verdicts.map((v) => v.ok)])).toEqual([
      ["1.12 – 24.x", [true, true]],
      ["25.x – 28.x", [false, true]],
      ["29.x and newer", [false, false]],
    ]);
  });

  test("renders as a Markdown table with a header per build", () => {
    const md = renderCompatTable();
    expect(md.split("\n")[0]).toBe("| Docker Engine | min API | weaveworks 2.8.1 | rajch 2.9.0 |");
    expect(md).toContain(
      "| 25.x – 28.x | 1.24 | no (needs API ≥ 1.24, speaks 1.18) | yes (speaks API 1.24) |",
    );
    expect(md).toContain("1.44 (reported)");
  });
});
