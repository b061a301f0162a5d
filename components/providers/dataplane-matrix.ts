/**
 * The data-plane proof, as pure decisions: which container should reach which address, which
 * names every host should resolve and to what, how the probes' answers read, and the resulting
 * reachability and DNS matrix with its failures named. The probes themselves (`docker exec` over
 * SSH) live in `providers/dataplane-ops.ts`.
 *
 * Expectation: two containers reach each other when the target's address lies in a subnet the
 * source has an address in (Weave isolates subnets: containers of different subnets have no
 * route to each other, which is the point of `subnet`); every declared name (container names,
 * extra names, DNS records) resolves, from every host, to exactly the addresses declared for it.
 */
import { columns } from "../cli/render";
import { ipToNumber, sortIps } from "../weave/ipv4";

/** A running container as the check sees it. */
export interface ProbeContainer {
  /** `<host>/<name>`. */
  key: string;
  name: string;
  host: string;
  /** Weave address with prefix (`172.16.16.3/24`); empty when the container has none. */
  cidr: string;
  /** Names registered for it (its FQDN and extra names), fully qualified; empty without DNS. */
  names: string[];
  /** Whether the container uses weaveDNS as its resolver (it has an FQDN). */
  usesWeaveDns: boolean;
}

/** A name and the addresses it must resolve to. */
export interface ExpectedName {
  fqdn: string;
  ips: string[];
}

/** One ordered pair: does `from` reach `to`'s address? */
export interface PingProbe {
  from: string;
  to: string;
  ip: string;
  /** `reach`: same subnet; `isolated`: Weave must not route between them. */
  expect: "reach" | "isolated";
}

/** Outcome of one ping: `reached`, `lost`, or `unverified` (no ping in the image). */
export type PingOutcome = "reached" | "lost" | "unverified";

/** Outcome of one lookup: the addresses seen, or `unverified` with why. */
export interface LookupOutcome {
  ips: string[];
  /** How it was asked (`getent` or `nslookup`), or why it could not be. */
  via: string;
  unverified?: boolean;
}

/** One cell of the reachability matrix. */
export interface ReachCell {
  expect: "reach" | "isolated";
  outcome: PingOutcome;
  ok: boolean;
}

/** One cell of the DNS matrix: a name as seen from one host. */
export interface DnsCell {
  /** The container the lookup ran in. */
  from: string;
  expected: string[];
  got: string[];
  via: string;
  ok: boolean;
  unverified?: boolean;
}

/** The data-plane matrix, a stack output. */
export interface DataPlaneMatrix {
  /** True when no cell failed (cells that could not be verified do not fail it). */
  ok: boolean;
  /** `reach[from][to]`, keys `<host>/<name>`. */
  reach: Record<string, Record<string, ReachCell>>;
  /** `dns[host][fqdn]`. */
  dns: Record<string, Record<string, DnsCell>>;
  /** One sentence per failure, naming both ends or the host and name. */
  failures: string[];
  /** One sentence per check that could not run (tool missing in the image), with why. */
  unverified: string[];
  /** One line for logs: counts of pairs and names checked and failed. */
  summary: string;
}

const ipOf = (cidr: string): string => cidr.replace(/\/.*$/, "");

/** Whether `ip` lies in the subnet of `cidr` (`a.b.c.d/n`, host bits allowed: a container's address). */
export function inSubnet(ip: string, cidr: string): boolean {
  const [base, len] = cidr.split("/");
  const size = 2 ** (32 - Number(len));
  return Math.floor(ipToNumber(ip) / size) === Math.floor(ipToNumber(base) / size);
}

/** Every ordered pair of distinct addressed containers, with what Weave should do between them. */
export function pingProbes(containers: readonly ProbeContainer[]): PingProbe[] {
  const addressed = containers.filter((c) => c.cidr !== "");
  const out: PingProbe[] = [];
  for (const from of addressed) {
    for (const to of addressed) {
      if (from.key === to.key) continue;
      const ip = ipOf(to.cidr);
      out.push({ from: from.key, to: to.key, ip, expect: inSubnet(ip, from.cidr) ? "reach" : "isolated" });
    }
  }
  return out;
}

/** Every declared name with the union of its addresses (container names and records), sorted. */
export function expectedNames(
  containers: readonly ProbeContainer[],
  records: readonly ExpectedName[],
): ExpectedName[] {
  const byName = new Map<string, Set<string>>();
  const add = (fqdn: string, ips: string[]): void => {
    const k = fqdn.toLowerCase();
    const set = byName.get(k) ?? new Set<string>();
    for (const ip of ips) set.add(ip);
    byName.set(k, set);
  };
  for (const c of containers) for (const n of c.names) add(n, c.cidr ? [ipOf(c.cidr)] : []);
  for (const r of records) add(r.fqdn, r.ips);
  return [...byName.entries()]
    .map(([fqdn, ips]) => ({ fqdn, ips: sortIps([...ips]) }))
    .sort((a, b) => (a.fqdn < b.fqdn ? -1 : a.fqdn > b.fqdn ? 1 : 0));
}

/**
 * The container each host resolves names from: its first container (in the given order) that
 * uses weaveDNS and has an address. Hosts without one are not asked (nothing there resolves
 * through weaveDNS).
 */
export function resolverPerHost(containers: readonly ProbeContainer[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of containers) if (c.usesWeaveDns && c.cidr !== "" && !(c.host in out)) out[c.host] = c.key;
  return out;
}

const same = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/** Whether a lookup's answer is what was declared (order ignored). */
export function lookupMatches(expected: readonly string[], got: readonly string[]): boolean {
  return same(sortIps(expected), sortIps(got));
}

/** Whether a ping's outcome is what Weave should do. */
export function pingMatches(expect: PingProbe["expect"], outcome: PingOutcome): boolean {
  return outcome === "unverified" || (expect === "reach" ? outcome === "reached" : outcome === "lost");
}

/** Builds the matrix from the probes' outcomes (missing outcomes count as not run: unverified). */
export function buildMatrix(
  containers: readonly ProbeContainer[],
  probes: readonly PingProbe[],
  pings: ReadonlyMap<string, PingOutcome>,
  names: readonly ExpectedName[],
  resolvers: Record<string, string>,
  lookups: ReadonlyMap<string, LookupOutcome>,
): DataPlaneMatrix {
  const failures: string[] = [];
  const unverified: string[] = [];
  const reach: DataPlaneMatrix["reach"] = {};
  for (const c of containers) {
    if (c.cidr === "") failures.push(`${c.key} has no Weave address (detached or never attached)`);
  }
  let pairFailures = 0;
  for (const p of probes) {
    const outcome = pings.get(pingKey(p)) ?? "unverified";
    const ok = pingMatches(p.expect, outcome);
    (reach[p.from] ??= {})[p.to] = { expect: p.expect, outcome, ok };
    if (outcome === "unverified") unverified.push(`${p.from} → ${p.to} (${p.ip}): no ping in the image`);
    else if (!ok) {
      pairFailures++;
      failures.push(
        p.expect === "reach"
          ? `${p.from} cannot reach ${p.to} at ${p.ip}`
          : `${p.from} reaches ${p.to} at ${p.ip} although they are in different subnets (isolation broken)`,
      );
    }
  }
  const dns: DataPlaneMatrix["dns"] = {};
  let nameFailures = 0;
  for (const [host, from] of Object.entries(resolvers)) {
    for (const n of names) {
      const l = lookups.get(lookupKey(host, n.fqdn));
      const got = l?.ips ?? [];
      const cell: DnsCell = {
        from,
        expected: n.ips,
        got,
        via: l?.via ?? "not run",
        ok: l?.unverified === true || (l !== undefined && lookupMatches(n.ips, got)),
      };
      if (!l || l.unverified) {
        cell.unverified = true;
        cell.ok = true;
        unverified.push(`${n.fqdn} from ${host} (in ${from}): ${l?.via ?? "not run"}`);
      } else if (!cell.ok) {
        nameFailures++;
        failures.push(
          `${n.fqdn} from ${host} (in ${from}) resolves to [${got.join(", ")}], declared [${n.ips.join(", ")}]` +
            (cell.via === "getent" || cell.via === "nslookup" ? "" : ` (${cell.via})`),
        );
      }
      (dns[host] ??= {})[n.fqdn] = cell;
    }
  }
  const pairs = probes.length;
  const lookupsRun = Object.keys(resolvers).length * names.length;
  const summary =
    `${pairs - pairFailures}/${pairs} container pairs as expected, ` +
    `${lookupsRun - nameFailures}/${lookupsRun} name lookups as declared` +
    (unverified.length ? `, ${unverified.length} not verifiable` : "") +
    (failures.length ? `; ${failures.length} failure${failures.length === 1 ? "" : "s"}` : "");
  return { ok: failures.length === 0, reach, dns, failures, unverified, summary };
}

/** Map key of a ping outcome. */
export const pingKey = (p: Pick<PingProbe, "from" | "to">): string => `${p.from}\u0000${p.to}`;
/** Map key of a lookup outcome. */
export const lookupKey = (host: string, fqdn: string): string => `${host}\u0000${fqdn.toLowerCase()}`;

/** The matrix as text: one row per source container (`ok`, `--` isolated as expected, `FAIL`, `?`). */
export function renderMatrix(m: DataPlaneMatrix): string {
  const keys = [
    ...new Set([...Object.keys(m.reach), ...Object.values(m.reach).flatMap((r) => Object.keys(r))]),
  ].sort();
  const out: string[] = [];
  if (keys.length > 0) {
    out.push(
      "Reachability (row pings column; ok = reached, -- = isolated as expected, FAIL, ? = not verifiable)",
    );
    const rows: string[][] = [["FROM \\ TO", ...keys]];
    for (const from of keys) {
      rows.push([
        from,
        ...keys.map((to) => {
          if (from === to) return "";
          const c = m.reach[from]?.[to];
          if (!c || c.outcome === "unverified") return "?";
          if (!c.ok) return "FAIL";
          return c.expect === "reach" ? "ok" : "--";
        }),
      ]);
    }
    out.push(...columns(rows));
  }
  const hosts = Object.keys(m.dns).sort();
  if (hosts.length > 0) {
    out.push("", "Names (resolved from one container per host)");
    const rows: string[][] = [["NAME", "DECLARED", ...hosts]];
    const names = [...new Set(hosts.flatMap((h) => Object.keys(m.dns[h])))].sort();
    for (const n of names) {
      const declared = m.dns[hosts[0]][n]?.expected ?? [];
      rows.push([
        n,
        declared.join(",") || "-",
        ...hosts.map((h) => {
          const c = m.dns[h][n];
          if (!c || c.unverified) return "?";
          return c.ok ? "ok" : `FAIL(${c.got.join(",") || "none"})`;
        }),
      ]);
    }
    out.push(...columns(rows));
  }
  out.push("", m.summary);
  for (const f of m.failures) out.push(`  FAIL ${f}`);
  for (const u of m.unverified) out.push(`  ? ${u}`);
  return out.join("\n") + "\n";
}

/** The error `up` fails with when the data plane does not work: every failure on its own line. */
export function dataPlaneFailureMessage(lab: string, m: DataPlaneMatrix): string {
  return (
    `data plane of ${lab}: the routers agree, but containers do not reach each other or resolve their names as declared ` +
    `(${m.summary}):\n` +
    m.failures.map((f) => `  ${f}`).join("\n")
  );
}
