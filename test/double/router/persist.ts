/**
 * `weavedb.json` in the host's home: the IPAM ring and this peer's allocations, and the direct
 * targets (the peer list `--resume` relaunches with). Written soon after every change, as Weave
 * writes its DB.
 */
import * as fs from "fs";
import * as path from "path";
import { formatCidr } from "./ip";
import { Ring } from "./ring";
import type { Router } from "./router";

export interface Persisted {
  peerName: string;
  range: string;
  ring: Ring;
  owned: Array<{ ident: string; cidrs: string[]; isContainer: boolean }>;
  targets: string[];
}

export class Store {
  private queued = false;

  constructor(private readonly r: Router) {}

  read(): Persisted | undefined {
    const home = this.r.opts.home;
    if (!home) return undefined;
    try {
      return JSON.parse(fs.readFileSync(path.join(home, "weavedb.json"), "utf8"));
    } catch {
      return undefined;
    }
  }

  /** Write shortly (changes come in bursts). */
  queue(): void {
    if (this.queued || !this.r.opts.home) return;
    this.queued = true;
    setTimeout(() => {
      this.queued = false;
      this.write();
    }, 20);
  }

  /** The router is stopping: a write still pending must not be lost. */
  flushQueued(): void {
    if (this.queued && !this.r.stopped) this.write();
  }

  private write(): void {
    const r = this.r;
    const home = r.opts.home;
    if (!home || !r.ipam || r.ipam.shutdown || r.stopped) return;
    const data = {
      peerName: r.name,
      range: formatCidr(r.cfg.range!),
      ...r.ipam.toPersist(),
      targets: r.targets.direct().map((t) => t.given),
    };
    const file = path.join(home, "weavedb.json");
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      fs.writeFileSync(tmp, JSON.stringify(data, null, 2) + "\n");
      fs.renameSync(tmp, file);
    } catch {
      // The home may be going away (weave reset): losing a write then is what Weave does too.
    }
  }
}
