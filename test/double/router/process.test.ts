/**
 * The process contract with the CLI double: `main` started with weaver's args and the double's
 * environment answers on its HTTP address, logs in Weave's format, stops on SIGTERM, and dies
 * with a FATA line (exit 1) on a bad value.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { call, removeHomes, tempHome, until } from "./harness";

jest.setTimeout(60_000);
afterAll(() => removeHomes());

const MAIN = path.join(__dirname, "main.ts");
const port = 23000 + (process.pid % 300) * 10;

function run(home: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ["-r", "ts-node/register/transpile-only", MAIN, ...args], {
    env: { PATH: process.env.PATH, WEAVE_DOUBLE_HOME: home, WEAVE_DOUBLE_HOST: "docker1", ...env },
    stdio: "ignore",
  });
}

const exited = (p: ChildProcess): Promise<number | null> =>
  new Promise((r) => p.once("exit", (code) => r(code)));
const log = (home: string): string => fs.readFileSync(path.join(home, "weave.log"), "utf8");

describe("router process", () => {
  it("serves /status, logs Weave-format lines only, persists IPAM and stops on SIGTERM", async () => {
    const home = tempHome();
    const ip = "127.78.0.1";
    const p = run(
      home,
      [
        "--port",
        String(port),
        "--host",
        ip,
        "--nickname",
        "docker1",
        "--ipalloc-range",
        "172.16.16.0/24",
        "--http-addr",
        `${ip}:${port + 1}`,
        "--status-addr",
        `${ip}:${port + 2}`,
        "--dns-listen-address",
        `${ip}:${port + 3}`,
        "--plugin",
        "--proxy",
      ],
      { CHECKPOINT_DISABLE: "1" },
    );
    try {
      await until(
        "HTTP up",
        async () =>
          (await call(`${ip}:${port + 1}`, "GET", "/status").catch(() => ({ status: 0 }))).status === 200,
        40_000,
      );
      expect((await call(`${ip}:${port + 2}`, "GET", "/status")).body).toContain(
        "        Version: 2.8.1 (version check update disabled)\n",
      );
      expect((await call(`${ip}:${port + 1}`, "POST", `/ip/${"d".repeat(64)}`)).body).toBe("172.16.16.1/24");
      await until("persisted", () => fs.existsSync(path.join(home, "weavedb.json")));
      p.kill("SIGTERM");
      expect(await exited(p)).toBe(0);
    } finally {
      p.kill("SIGKILL");
    }
    const lines = log(home).split("\n").filter(Boolean);
    expect(
      lines.filter((l) => !/^(INFO|WARN|ERRO|FATA): \d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d\.\d{6} /.test(l)),
    ).toEqual([]);
    expect(
      lines.some((l) => l.includes("[allocator ") && l.endsWith("Initialising via deferred consensus")),
    ).toBe(true);
    const db = JSON.parse(fs.readFileSync(path.join(home, "weavedb.json"), "utf8"));
    expect(db.owned).toEqual([{ ident: "d".repeat(64), cidrs: ["172.16.16.1/24"], isContainer: false }]);
  });

  it("dies with the weaver FATA line after its start-up lines on a bad value (fixture 12)", async () => {
    const home = tempHome();
    const p = run(home, [
      "--port",
      String(port + 5),
      "--ipalloc-range",
      "10.32.0.0/12",
      "--ipalloc-default-subnet",
      "172.16.16.0/25",
    ]);
    expect(await exited(p)).toBe(1);
    const lines = log(home).trim().split("\n");
    expect(lines[0]).toMatch(/^INFO: \S+ \S+ Command line options: map\[/);
    expect(lines[lines.length - 1]).toMatch(
      /^FATA: \S+ \S+ IP address allocation default subnet 172\.16\.16\.0\/25 does not overlap with allocation range 10\.32\.0\.0\/12$/,
    );
  });

  it("on a host with no system IDs, a launch without --name dies with weaver's FATA line; with --name it starts", async () => {
    const home = tempHome();
    fs.writeFileSync(path.join(home, "config.json"), JSON.stringify({ systemIdsBlank: true }));
    const ip = "127.78.0.2";
    const args = [
      "--port",
      String(port + 6),
      "--host",
      ip,
      "--ipalloc-range",
      "172.16.16.0/24",
      "--http-addr",
      `${ip}:${port + 7}`,
      "--status-addr",
      `${ip}:${port + 8}`,
      "--dns-listen-address",
      `${ip}:${port + 9}`,
    ];
    const nameless = run(home, args);
    expect(await exited(nameless)).toBe(1);
    expect(log(home).trim().split("\n").pop()).toMatch(/^FATA: \S+ \S+ All system IDs are blank$/);
    const named = run(home, ["--name", "02:00:00:00:00:07", ...args], { CHECKPOINT_DISABLE: "1" });
    try {
      await until(
        "HTTP up",
        async () =>
          (await call(`${ip}:${port + 7}`, "GET", "/status").catch(() => ({ status: 0 }))).status === 200,
        40_000,
      );
    } finally {
      named.kill("SIGKILL");
    }
  });
});
