/**
 * Real-hosts mode: `WEAVE_LAB_HOSTS=/path/hosts.json` makes `getLab()` hand out machines you
 * provide instead of namespaces. File format (see README "Testing against real hosts"):
 *
 *   { "hosts": [ { "name": "host1", "address": "192.0.2.11", "port": 22, "user": "root",
 *                  "privateKeyPath": "/home/me/.ssh/lab", "hostKey": "ssh-ed25519 AAAA…" } ] }
 */
import { promises as fsp } from "fs";
import * as os from "os";
import * as path from "path";
import { hostLookup, knownHostsText, sshMethods } from "./ssh-client";
import type { Faults, LabHost, TestLab } from "./types";

/** One entry of the `WEAVE_LAB_HOSTS` file. */
export interface RealHostEntry {
  /** Host name used by tests and errors. Required, unique. */
  name: string;
  /** Address the host's router is reached at (and SSH goes to). Required. */
  address: string;
  /** SSH port. Defaults to 22. */
  port?: number;
  /** Login user. Defaults to `"root"`. */
  user?: string;
  /** Path of an unencrypted private key authorised on the host. Required. */
  privateKeyPath: string;
  /** The host's public host key line (`ssh-ed25519 AAAA…`, as in known_hosts without the host field). Required. */
  hostKey: string;
}

/** Parse and check the file's JSON; every problem is listed as `path: message`. */
export function parseRealHosts(text: string, source: string): RealHostEntry[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source}: not JSON: ${(e as Error).message}`);
  }
  const problems: string[] = [];
  const hosts = (doc as { hosts?: unknown })?.hosts;
  if (!Array.isArray(hosts) || hosts.length === 0) {
    throw new Error(
      `${source}: hosts: expected a non-empty list of { name, address, port?, user?, privateKeyPath, hostKey }`,
    );
  }
  const names = new Set<string>();
  hosts.forEach((h: Record<string, unknown>, i) => {
    const at = `hosts[${i}]`;
    if (typeof h !== "object" || h === null) {
      problems.push(`${at}: ${JSON.stringify(h)} is not an object`);
      return;
    }
    const str = (k: string): void => {
      if (typeof h[k] !== "string" || (h[k] as string).trim() === "")
        problems.push(`${at}.${k}: ${JSON.stringify(h[k])} must be a non-empty string`);
    };
    str("name");
    str("address");
    str("privateKeyPath");
    str("hostKey");
    if (typeof h.name === "string") {
      if (names.has(h.name))
        problems.push(`${at}.name: ${JSON.stringify(h.name)} is given twice; names must be unique`);
      names.add(h.name);
    }
    if (
      h.port !== undefined &&
      (!Number.isInteger(h.port) || (h.port as number) < 1 || (h.port as number) > 65535)
    ) {
      problems.push(`${at}.port: ${JSON.stringify(h.port)} must be an integer 1–65535`);
    }
    if (h.user !== undefined && (typeof h.user !== "string" || h.user === ""))
      problems.push(`${at}.user: ${JSON.stringify(h.user)} must be a non-empty string`);
    if (
      typeof h.hostKey === "string" &&
      !/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/=]+$/.test(h.hostKey.trim())
    ) {
      problems.push(
        `${at}.hostKey: must be a key line like "ssh-ed25519 AAAA…" (type and base64, no host field)`,
      );
    }
  });
  if (problems.length > 0)
    throw new Error(`${source}: invalid WEAVE_LAB_HOSTS file:\n  ${problems.join("\n  ")}`);
  return hosts as RealHostEntry[];
}

function notOnRealHosts(what: string): () => Promise<never> {
  return () =>
    Promise.reject(
      new Error(`${what} is not available on real hosts (WEAVE_LAB_HOSTS); check lab.real in the test`),
    );
}

/** The real-hosts lab named by `WEAVE_LAB_HOSTS`, or undefined when the variable is unset or empty. */
export async function labFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  names?: string[],
): Promise<TestLab | undefined> {
  const file = env.WEAVE_LAB_HOSTS;
  if (!file) return undefined;
  let entries = parseRealHosts(await fsp.readFile(file, "utf8"), file);
  if (names) {
    // Suites speak of their own host names (host1…, docker1…): the first N machines of the file
    // serve them in order, so one file serves every suite.
    if (entries.length < names.length)
      throw new Error(`${file}: lists ${entries.length} host(s) but the test needs ${names.length}`);
    entries = names.map((name, i) => ({ ...entries[i], name }));
  }
  const keys = await Promise.all(
    entries.map((e) =>
      fsp.readFile(e.privateKeyPath, "utf8").catch((err: Error) => {
        throw new Error(`${file}: host ${e.name}: cannot read privateKeyPath: ${err.message}`);
      }),
    ),
  );
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "weave-lab-real-"));
  const knownHostsFile = path.join(tmp, "known_hosts");
  const hosts: LabHost[] = entries.map((e, i) => ({
    name: e.name,
    address: e.address,
    sshHost: e.address,
    sshPort: e.port ?? 22,
    user: e.user ?? "root",
    privateKey: keys[i],
    hostKey: e.hostKey.trim(),
  }));
  await fsp.writeFile(knownHostsFile, knownHostsText(hosts));
  const byName = hostLookup(
    "WEAVE_LAB_HOSTS",
    new Map(hosts.map((h, i) => [h.name, { host: h, keyFile: entries[i].privateKeyPath }])),
  );
  const faults: Faults = {
    cutLink: notOnRealHosts("faults.cutLink"),
    restoreLink: notOnRealHosts("faults.restoreLink"),
    stopSshd: notOnRealHosts("faults.stopSshd"),
    startSshd: notOnRealHosts("faults.startSshd"),
    killRouter: notOnRealHosts("faults.killRouter"),
    replaceHostKey: notOnRealHosts("faults.replaceHostKey"),
    setLatency: notOnRealHosts("faults.setLatency"),
  };
  return {
    id: "real",
    hosts,
    real: true,
    kind: "real",
    knownHostsFile,
    faults,
    ...sshMethods(byName, knownHostsFile),
    nsExec: notOnRealHosts("nsExec"),
    async destroy() {
      await fsp.rm(tmp, { recursive: true, force: true });
    },
  };
}
