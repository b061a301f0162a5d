/**
 * Pulumi keeps each dynamic resource's serialised provider in its state, and refresh/destroy run
 * that text. It must not name this checkout: a copy of weave-lab serialises the providers, is
 * then moved away (the original path no longer exists), and the saved text still destroys from
 * the moved copy, loading the provider and the SSH transport from the package it finds there.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT, runSerialized } from "../engine/serialize";

jest.setTimeout(180_000);

const SERIALISE = `
const fs = require("fs");
const pulumi = require("@pulumi/pulumi");
const { routerProvider } = require("./components/providers/router");
const { gateProvider } = require("./components/providers/gate");
(async () => {
  for (const [name, p] of [["router", routerProvider], ["gate", gateProvider]]) {
    const s = await pulumi.runtime.serializeFunction(() => p, { allowSecrets: false });
    fs.writeFileSync(name + ".provider.js", s.text);
  }
})().catch((e) => { console.error(e); process.exit(1); });
`;

let base = "";
afterAll(() => {
  if (base) fs.rmSync(base, { recursive: true, force: true });
});

test("providers serialised in one checkout delete from a moved copy: no absolute path in the text, the package is found where it runs", async () => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), "weave-lab-portable-"));
  const first = path.join(base, "first-checkout");
  fs.mkdirSync(first);
  for (const f of ["package.json", "tsconfig.json"])
    fs.copyFileSync(path.join(REPO_ROOT, f), path.join(first, f));
  fs.cpSync(path.join(REPO_ROOT, "components"), path.join(first, "components"), { recursive: true });
  fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(first, "node_modules"));
  const ser = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", SERIALISE], {
    cwd: first,
    env: { ...process.env, NODE_OPTIONS: "" },
    encoding: "utf8",
  });
  expect({ status: ser.status, stderr: ser.status === 0 ? "" : ser.stderr }).toEqual({
    status: 0,
    stderr: "",
  });
  const routerText = fs.readFileSync(path.join(first, "router.provider.js"), "utf8");
  const gateText = fs.readFileSync(path.join(first, "gate.provider.js"), "utf8");
  for (const t of [routerText, gateText]) {
    expect(t).not.toContain(base);
    expect(t).not.toContain(REPO_ROOT);
    // Small: the shim and its loader, not the provider logic.
    expect(t.length).toBeLessThan(12_000);
  }

  const moved = path.join(base, "elsewhere");
  fs.renameSync(first, moved);
  expect(fs.existsSync(first)).toBe(false);

  const conn = {
    hostName: "h1",
    host: "127.0.0.1",
    port: 1,
    user: "root",
    insecureIgnoreHostKey: true,
    sudo: false,
    connectTimeoutSeconds: 1,
    privateKey: "not-a-key",
  };
  const props = {
    lab: "portable",
    host: "h1",
    address: "10.1.0.1",
    peerName: "02:00:00:00:00:01",
    connection: conn,
    peers: [],
    forgetUnreachableOnDestroy: false,
    timeouts: { launchMs: 1000, resetMs: 1000, commandMs: 1000 },
  };
  const err = await runSerialized(routerText, "delete", ["portable/h1", props], { cwd: moved }).catch(
    (e: Error) => e,
  );
  expect(err).toBeInstanceOf(Error);
  // The transport was loaded from the moved copy and tried the host.
  expect((err as Error).message).toMatch(/^h1: cannot reach the host to reset its router \(host h1/);

  const gate = await runSerialized<{ failures: Array<{ property: string }> }>(
    gateText,
    "check",
    [{}, { hosts: [], timeoutSeconds: 5 }],
    { cwd: moved },
  );
  expect(gate.result.failures.map((f) => f.property)).toEqual(["hosts"]);

  // Run from a project without weave-lab, the error says what is missing and what to do.
  const other = path.join(base, "other-project");
  fs.mkdirSync(other);
  fs.writeFileSync(path.join(other, "package.json"), JSON.stringify({ name: "other-project" }));
  fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(other, "node_modules"));
  const lost = await runSerialized(routerText, "delete", ["portable/h1", props], { cwd: other }).catch(
    (e: Error) => e,
  );
  expect((lost as Error).message).toMatch(
    /cannot find the weave-lab package from .*: run Pulumi from a project that depends on weave-lab/,
  );
});
