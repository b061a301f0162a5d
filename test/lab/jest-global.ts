/**
 * Jest globalSetup/globalTeardown of the integration project. Before the first test: remove labs
 * left by interrupted runs. After the last test: also remove labs this jest run leaked (a test
 * that never called destroy()), i.e. labs owned by this process or one of its workers — a
 * `process.on("exit")` hook cannot do it inside jest, whose test sandbox has its own `process`.
 * Labs of other processes (another jest run on this machine) are never touched.
 */
import * as fs from "fs";
import { cleanupStaleLabsSync, listLabIds, readRecord, teardownLab } from "./state";

function parentOf(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

export default function cleanupLabs(): void {
  const removed = cleanupStaleLabsSync();
  for (const id of listLabIds()) {
    const owner = readRecord(id)?.ownerPid;
    if (owner === undefined) continue;
    if (owner === process.pid || parentOf(owner) === process.pid) {
      teardownLab(id);
      removed.push(id);
    }
  }
  if (removed.length > 0)
    process.stderr.write(`weave-lab: removed leftover test labs ${removed.join(", ")}\n`);
}
