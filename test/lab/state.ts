/**
 * The lab's footprint on this machine and how to remove it.
 *
 * Every lab writes `/run/weave-lab-test/<id>/lab.json` (owner pid and start time, namespaces,
 * links) before it creates anything, so a lab whose owner died half-way can still be found and
 * removed. Everything a lab creates carries its id (`wl-<id>-*`, `wlb<id>`, `wlv<id>n*`, the state
 * dir), which lets cleanup also catch pieces that never made it into a record.
 *
 * Teardown is synchronous on purpose: the same code runs from a `process.on("exit")` hook, where
 * nothing asynchronous can happen any more.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { labIdOfResource, LAB_ID_PATTERN } from "./layout";

/** Where lab state lives (one directory per lab). tmpfs, so a reboot cleans it too. */
export const LAB_ROOT = "/run/weave-lab-test";
/** Claims of /24s by labs: one file per /24 holding the owner's id. */
export const SUBNET_DIR = path.join(LAB_ROOT, ".subnets");

/** What `lab.json` holds. */
export interface LabRecord {
  id: string;
  ownerPid: number;
  /** Start time of the owner (clock ticks since boot) so a recycled pid is not mistaken for the owner. */
  ownerStart: string;
  createdAt: string;
  bridge: string;
  cidr: string;
  /** Claim file of the lab's /24. */
  subnetClaim?: string;
  hosts: Array<{ name: string; address: string; netns: string; veth: string }>;
  /** The delay-proxy daemon (root namespace). */
  daemonPid?: number;
  /** iptables rules added to let bridged traffic pass (argv after `-D`/`-I`). */
  iptablesRules?: string[][];
}

export function labDir(id: string): string {
  return path.join(LAB_ROOT, id);
}

export function recordPath(id: string): string {
  return path.join(labDir(id), "lab.json");
}

export function writeRecord(r: LabRecord): void {
  const file = recordPath(r.id);
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(r, null, 2) + "\n");
  fs.renameSync(`${file}.tmp`, file);
}

export function readRecord(id: string): LabRecord | undefined {
  try {
    return JSON.parse(fs.readFileSync(recordPath(id), "utf8")) as LabRecord;
  } catch {
    return undefined;
  }
}

/** Start time of a process (field 22 of /proc/<pid>/stat), or undefined when it is gone. */
export function processStart(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/** Whether the process that created the lab still runs. */
export function ownerAlive(r: Pick<LabRecord, "ownerPid" | "ownerStart">): boolean {
  const start = processStart(r.ownerPid);
  return start !== undefined && start === r.ownerStart;
}

/** The command line of a process (NULs as spaces), or undefined. */
export function cmdline(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").trim();
  } catch {
    return undefined;
  }
}

function allPids(): number[] {
  return fs
    .readdirSync("/proc")
    .filter((n) => /^\d+$/.test(n))
    .map(Number);
}

/** Named network namespaces (`/run/netns/*`). */
export function listNetns(): string[] {
  try {
    return fs.readdirSync("/run/netns");
  } catch {
    return [];
  }
}

/** Network interfaces of the root namespace. */
export function listLinks(): string[] {
  try {
    return fs.readdirSync("/sys/class/net");
  } catch {
    return [];
  }
}

/** Pids of processes inside each of the named namespaces (what `ip netns pids` does, for many at once). */
export function pidsInNetns(names: readonly string[]): Map<string, number[]> {
  const byInode = new Map<string, string>();
  const out = new Map<string, number[]>();
  for (const n of names) {
    out.set(n, []);
    try {
      byInode.set(`net:[${fs.statSync(path.join("/run/netns", n)).ino}]`, n);
    } catch {
      // namespace already gone
    }
  }
  if (byInode.size === 0) return out;
  for (const pid of allPids()) {
    let link: string;
    try {
      link = fs.readlinkSync(`/proc/${pid}/ns/net`);
    } catch {
      continue; // exited, or a zombie
    }
    const ns = byInode.get(link);
    if (ns) out.get(ns)?.push(pid);
  }
  return out;
}

/** Pids whose command line mentions the lab's state dir (sshd, socat, the proxy daemon, doubles). */
export function pidsMentioning(needle: string): number[] {
  return allPids().filter((pid) => pid !== process.pid && (cmdline(pid) ?? "").includes(needle));
}

const sab = new Int32Array(new SharedArrayBuffer(4));
function sleepSync(ms: number): void {
  Atomics.wait(sab, 0, 0, ms);
}

function killAll(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/** FORWARD rules naming lab `id`'s bridge, as argv after `-D` (empty when iptables is absent). */
export function forwardRulesOf(id: string): string[][] {
  let out = "";
  try {
    out = execFileSync("iptables", ["-S", "FORWARD"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
  } catch {
    return [];
  }
  return out
    .split("\n")
    .filter((l) => l.startsWith("-A FORWARD ") && l.includes(` wlb${id} `))
    .map((l) => l.slice(3).split(" "));
}

/** What is left of a lab on this machine (empty lists = nothing). */
export interface Leftovers {
  netns: string[];
  links: string[];
  pids: number[];
  /** iptables FORWARD rules naming the lab's bridge (`-A FORWARD …` lines). */
  rules: string[];
  dir: boolean;
}

/** Everything on this machine that still belongs to lab `id`. */
export function leftoversOf(id: string): Leftovers {
  const netns = listNetns().filter((n) => labIdOfResource(n) === id);
  const inNs = [...pidsInNetns(netns).values()].flat();
  return {
    netns,
    links: listLinks().filter((l) => labIdOfResource(l) === id),
    pids: [...new Set([...inNs, ...pidsMentioning(`${labDir(id)}/`)])],
    rules: forwardRulesOf(id).map((r) => `-A ${r.join(" ")}`),
    dir: fs.existsSync(labDir(id)),
  };
}

/**
 * Remove every trace of lab `id`: processes (in its namespaces or mentioning its dir), namespaces,
 * links, iptables rules, its /24 claim and its state dir. Safe to call on a half-built or
 * already removed lab. Throws (after trying everything) if something could not be removed.
 */
export function teardownLab(id: string): void {
  if (!LAB_ID_PATTERN.test(id)) throw new Error(`teardownLab: bad lab id ${JSON.stringify(id)}`);
  const record = readRecord(id);
  logEvent(`teardown ${id} ${record?.cidr ?? "?"} owner ${record?.ownerPid ?? "?"}`);
  const problems: string[] = [];
  // Processes first: a namespace with processes in it outlives `ip netns del`, and so does its veth.
  for (let attempt = 0; attempt < 100; attempt++) {
    const left = leftoversOf(id).pids;
    if (left.length === 0) break;
    killAll(left);
    sleepSync(attempt < 10 ? 10 : 50);
    if (attempt === 99)
      problems.push(`processes still running: ${left.map((p) => `${p} (${cmdline(p) ?? "?"})`).join(", ")}`);
  }
  const batch: string[] = [];
  for (const ns of listNetns().filter((n) => labIdOfResource(n) === id)) batch.push(`netns del ${ns}`);
  for (const l of listLinks().filter((n) => labIdOfResource(n) === id))
    if (l.startsWith("wlb")) batch.push(`link del ${l}`);
  if (batch.length > 0) ipBatch(batch, problems);
  // Rules from the record, and any a crash kept out of it (they name the lab's bridge).
  const rules = record?.iptablesRules ?? forwardRulesOf(id);
  for (const rule of rules) {
    try {
      execFileSync("iptables", ["-D", ...rule], { stdio: "ignore" });
    } catch {
      // rule already gone
    }
  }
  // Deleting a namespace destroys its veth pair a moment later; delete what is left explicitly.
  for (let attempt = 0; attempt < 60; attempt++) {
    const links = listLinks().filter((n) => labIdOfResource(n) === id);
    if (links.length === 0) break;
    if (attempt % 10 === 9)
      ipBatch(
        links.map((l) => `link del ${l}`),
        [],
      );
    sleepSync(25);
    if (attempt === 59) problems.push(`links still present: ${links.join(", ")}`);
  }
  releaseClaims(id);
  try {
    fs.rmSync(labDir(id), { recursive: true, force: true });
  } catch (e) {
    problems.push(`state dir ${labDir(id)}: ${(e as Error).message}`);
  }
  if (problems.length > 0)
    throw new Error(`lab ${id}: teardown left things behind:\n  ${problems.join("\n  ")}`);
}

function ipBatch(lines: string[], problems: string[]): void {
  try {
    execFileSync("ip", ["-force", "-batch", "-"], {
      input: lines.join("\n") + "\n",
      stdio: ["pipe", "ignore", "pipe"],
    });
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString() ?? (e as Error).message;
    // "Cannot find device"/"No such file" mean it was gone already.
    const real = stderr
      .split("\n")
      .filter((l) => l.trim() && !/Cannot find device|No such file|does not exist|Command failed/.test(l));
    if (real.length > 0) problems.push(`ip -batch: ${real.join(" | ")}`);
  }
}

/**
 * Append a line to `/run/weave-lab-test/events.log` (claims and teardowns of every process), the
 * record to read when two labs seem to have met. Never fails the caller.
 */
export function logEvent(what: string): void {
  try {
    const file = path.join(LAB_ROOT, "events.log");
    // Keep it bounded on long-lived machines: one previous generation is enough to debug with.
    if ((fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0) > 1_000_000)
      fs.renameSync(file, `${file}.1`);
    fs.appendFileSync(file, `${new Date().toISOString()} pid ${process.pid} ${what}\n`);
  } catch {
    // diagnostics only
  }
}

/** Remove the /24 claims held by lab `id`. */
export function releaseClaims(id: string): void {
  for (const f of safeReaddir(SUBNET_DIR)) {
    const file = path.join(SUBNET_DIR, f);
    try {
      if (fs.readFileSync(file, "utf8").trim() === id) {
        fs.rmSync(file, { force: true });
        logEvent(`release ${id} ${f}`);
      }
    } catch {
      // gone meanwhile
    }
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/** Ids of labs that have a state dir. */
export function listLabIds(): string[] {
  return safeReaddir(LAB_ROOT).filter((n) => LAB_ID_PATTERN.test(n));
}

/** Whether lab `id` belongs to a live process (so cleanup must leave it alone). */
export function labIsLive(id: string, now = Date.now()): boolean {
  const r = readRecord(id);
  if (r) return ownerAlive(r);
  // A dir without a record is a lab being born (the record is its first write); give it a minute.
  try {
    return now - fs.statSync(labDir(id)).mtimeMs < 60_000;
  } catch {
    return false;
  }
}

/**
 * Remove leftovers of interrupted runs: labs whose owner process is gone, and namespaces, links,
 * processes or /24 claims carrying a lab id that has no live lab. Labs of live processes (e.g. a
 * parallel jest worker) are left alone. Returns the ids removed.
 */
export function cleanupStaleLabsSync(): string[] {
  const ids = new Set<string>(listLabIds());
  for (const n of [...listNetns(), ...listLinks()]) {
    const id = labIdOfResource(n);
    if (id) ids.add(id);
  }
  for (const f of safeReaddir(SUBNET_DIR)) {
    try {
      const id = fs.readFileSync(path.join(SUBNET_DIR, f), "utf8").trim();
      if (LAB_ID_PATTERN.test(id)) ids.add(id);
    } catch {
      // gone meanwhile
    }
  }
  const removed: string[] = [];
  const errors: string[] = [];
  for (const id of ids) {
    if (labIsLive(id)) continue;
    try {
      teardownLab(id);
      removed.push(id);
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  if (errors.length > 0) throw new Error(`cleanupStaleLabs:\n${errors.join("\n")}`);
  return removed;
}

/**
 * Claim the /24 `a.b.c` for lab `id`; returns the claim file, or the id of the live lab holding it.
 * Creating the file with O_EXCL makes two labs starting at once unable to take the same /24.
 */
export function claimSubnet(net: readonly number[], id: string): { claim: string } | { heldBy: string } {
  fs.mkdirSync(SUBNET_DIR, { recursive: true });
  const file = path.join(SUBNET_DIR, `${net.join(".")}.0-24`);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(file, id, { flag: "wx" });
      logEvent(`claim ${id} ${net.join(".")}.0/24`);
      return { claim: file };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    let holder = "";
    try {
      holder = fs.readFileSync(file, "utf8").trim();
    } catch {
      continue; // released meanwhile: try again
    }
    // An empty file is a claim being written this very moment.
    if (holder === "" || labIsLive(holder)) return { heldBy: holder || "(being created)" };
    // The holder died after the last cleanup: its bridge may still carry this /24, and a second
    // bridge with the same /24 would split the routes. Remove its whole lab, not just the claim.
    if (LAB_ID_PATTERN.test(holder)) {
      try {
        teardownLab(holder);
      } catch {
        return { heldBy: `${holder} (dead, but could not be removed)` };
      }
    }
    fs.rmSync(file, { force: true });
  }
  return { heldBy: "(contended)" };
}
