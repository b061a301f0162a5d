/**
 * A namespace lab's network on this machine: its /24 (claimed against other labs and this
 * machine's interfaces), the bridge in the root namespace, one namespace and veth per host, and
 * the kernel settings (neighbour tables, a FORWARD chain that might drop bridged frames) they need.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import { mapLimit, mustRun, run } from "./exec";
import { candidateNets, LabLayout, labIdOfResource, layoutLab } from "./layout";
import { claimSubnet, labIsLive, LabRecord, logEvent, teardownLab, writeRecord } from "./state";

/** Kernel neighbour-table limits the lab needs (`net.ipv4/6.neigh.default.gc_thresh1..3`). */
export const NEIGH_THRESHOLDS = { gc_thresh1: 4096, gc_thresh2: 16384, gc_thresh3: 32768 } as const;

/**
 * Raise the kernel's ARP/ND table limits. The tables are shared by every network namespace and
 * default to 1024 entries; a 32-host lab whose routers form a full mesh needs ~1,000 on its own,
 * and when the table is full a namespace silently stops answering ARP (no neighbour entry can be
 * created for the asker, so no reply is sent): hosts then look dead for tens of seconds. Only
 * ever raised, never lowered (other labs may rely on it), so it is left raised after the run.
 */
export function ensureNeighbourTableRoom(): void {
  for (const family of ["ipv4", "ipv6"]) {
    for (const [key, want] of Object.entries(NEIGH_THRESHOLDS)) {
      const file = `/proc/sys/net/${family}/neigh/default/${key}`;
      try {
        if (Number(fs.readFileSync(file, "utf8").trim()) < want) fs.writeFileSync(file, String(want));
      } catch {
        // Not writable here (e.g. an unprivileged container): labs still work below ~1,000 entries.
      }
    }
  }
}

/**
 * Interfaces of the root namespace with an IPv4 address starting with `prefix` ("10.10.10."),
 * after removing bridges of labs whose owner is gone.
 */
function interfacesIn(prefix: string): string[] {
  const find = (): string[] =>
    Object.entries(os.networkInterfaces())
      .filter(([, list]) => (list ?? []).some((a) => a.family === "IPv4" && a.address.startsWith(prefix)))
      .map(([name]) => name);
  const first = find();
  for (const name of first) {
    const other = labIdOfResource(name);
    if (other && !labIsLive(other)) teardownLab(other);
  }
  return first.length > 0 ? find() : first;
}

/**
 * Pick the lab's /24 and lay the lab out in it: claim the /24, then make sure no interface of this
 * machine already has an address in it (a lab bridge of a dead process is removed; anything else
 * makes us try the next /24). Returns the layout and the claim file.
 */
export function claimLayout(
  id: string,
  names: string[],
  wantNet: [number, number, number],
  firstHost: number,
  explicit: boolean,
): { layout: LabLayout; claim: string } {
  const held: string[] = [];
  for (const n of candidateNets(wantNet, explicit)) {
    const prefix = `${n.join(".")}.`;
    const c = claimSubnet(n, id);
    if ("heldBy" in c) {
      held.push(`${prefix}0/24 (lab ${c.heldBy})`);
      continue;
    }
    const clash = interfacesIn(prefix);
    if (clash.length > 0) {
      fs.rmSync(c.claim, { force: true });
      held.push(`${prefix}0/24 (in use on ${clash.join(", ")})`);
      continue;
    }
    return { layout: layoutLab(id, n, firstHost, names), claim: c.claim };
  }
  throw new Error(
    `no free /24 for the lab: ${held.join(", ")}; destroy the other lab or pass another firstAddress`,
  );
}

/**
 * Create the lab's links and namespaces: one `ip` for the root side, one per namespace for the
 * inside. Records the FORWARD rules it had to insert in `record` (teardown removes them).
 */
export async function wireLab(id: string, layout: LabLayout, record: LabRecord): Promise<void> {
  const rootBatch = [
    // A fixed MAC: a bridge otherwise takes the lowest MAC of its ports and changes it when ports
    // come and go, leaving hosts' ARP entries for the bridge address pointing nowhere for ~30 s.
    `link add ${layout.bridge} address ${bridgeMac(id)} type bridge forward_delay 0 stp_state 0`,
    `addr add ${layout.bridgeAddress}/24 dev ${layout.bridge}`,
    `link set ${layout.bridge} up`,
  ];
  for (const h of layout.hosts) {
    rootBatch.push(
      `netns add ${h.netns}`,
      `link add ${h.veth} type veth peer name eth0 netns ${h.netns}`,
      `link set ${h.veth} master ${layout.bridge} up`,
    );
  }
  await mustRun("ip", ["-batch", "-"], {
    input: rootBatch.join("\n") + "\n",
    what: `lab ${id}: create bridge and namespaces`,
  });
  logEvent(`bridge ${id} ${layout.cidr}`);
  // Two bridges carrying one /24 would send part of the traffic into the wrong lab.
  const routes = (await mustRun("ip", ["-4", "-o", "route", "show", layout.cidr])).stdout.trim().split("\n");
  if (routes.length !== 1 || !routes[0].includes(` dev ${layout.bridge} `)) {
    throw new Error(
      `lab ${id}: ${layout.cidr} is routed to more than this lab's bridge: ${routes.join(" | ")}`,
    );
  }
  record.iptablesRules = await allowBridgedTraffic(layout.bridge);
  writeRecord(record);
  await mapLimit(layout.hosts, 8, (h) =>
    mustRun("ip", ["-n", h.netns, "-batch", "-"], {
      input: ["link set lo up", `addr add ${h.address}/24 dev eth0`, "link set eth0 up"].join("\n") + "\n",
      what: `${h.name}: configure namespace ${h.netns}`,
    }),
  );
}

/** A locally administered unicast MAC derived from the lab id (02:…). */
export function bridgeMac(id: string): string {
  const h = createHash("sha256").update(id).digest();
  return ["02", "77", "6c", h[0], h[1], h[2]]
    .map((b) => (typeof b === "string" ? b : b.toString(16).padStart(2, "0")))
    .join(":");
}

/**
 * Whether a FORWARD chain (`iptables -S FORWARD` output) might drop bridged lab traffic: its
 * policy is not ACCEPT, or it has rules other than the labs' own ACCEPTs.
 */
export function forwardChainMayDrop(iptablesS: string): boolean {
  const others = iptablesS
    .split("\n")
    .filter((l) => l.startsWith("-A FORWARD") && !/ -i wlb[a-z0-9]{6} -o wlb[a-z0-9]{6} -j ACCEPT$/.test(l));
  return !/^-P FORWARD ACCEPT$/m.test(iptablesS) || others.length > 0;
}

/**
 * With `br_netfilter` loaded, bridged frames pass iptables' FORWARD chain; a host firewall (Docker
 * sets its policy to DROP) would then silently cut hosts off from each other. Only in that case
 * is one ACCEPT rule for the lab's bridge inserted (teardown removes it); an open FORWARD chain is
 * left untouched.
 */
async function allowBridgedTraffic(bridge: string): Promise<string[][]> {
  let nf = "0";
  try {
    nf = fs.readFileSync("/proc/sys/net/bridge/bridge-nf-call-iptables", "utf8").trim();
  } catch {
    return [];
  }
  if (nf !== "1") return [];
  const chain = await run("iptables", ["-S", "FORWARD"], { timeoutMs: 10_000 });
  if (chain.code !== 0 || !forwardChainMayDrop(chain.stdout)) return [];
  const rule = ["FORWARD", "-i", bridge, "-o", bridge, "-j", "ACCEPT"];
  await mustRun("iptables", ["-I", ...rule], {
    what: `let bridged traffic of ${bridge} pass the FORWARD chain`,
  });
  return [rule];
}
