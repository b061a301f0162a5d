/**
 * Comparing a real Weave capture with the double's answer to the same command: both go through
 * {@link normalise}, which replaces volatile fields by placeholders and puts Weave's unordered
 * listings (G13) in a canonical order. Two outputs that mean the same thing normalise equal; any
 * other difference stays visible in the diff.
 *
 * What is volatile (and why):
 * - container ids (64 hex, and 12-hex short ids): random per container;
 * - MACs that are not peer names (container `ethwe`/`eth0`): random per veth. Peer names are kept,
 *   the replay gives the lab hosts the captured names;
 * - the `Version:` parenthetical: depends on the internet / `CHECKPOINT_DISABLE` and the clock;
 * - `Upstream:`: the host's resolver;
 * - `retry: <Go time> m=+…` and log timestamps: clock;
 * - ephemeral TCP ports (`10.10.10.102:38285`; Weave's fixed 6782–6784 and 53 are kept);
 * - ping round-trip times, `ip addr` interface indexes;
 * - `docker ps` CREATED/STATUS ages and published host ports;
 * - for commands addressing a name with several A records (DNS round robin), the chosen address.
 */

/** Weave's fixed ports (§5.4) and DNS: never ephemeral. */
const FIXED_PORTS = new Set(["53", "6782", "6783", "6784"]);
const ID64 = /\b[0-9a-f]{64}\b/g;
const ID12 = /\b[0-9a-f]{12}\b/g;
const MAC = /\b[0-9a-f]{2}(?::[0-9a-f]{2}){5}\b/g;

export interface MaskOptions {
  /** Peer names to keep as they are. */
  peerNames: string[];
  /** Mask weave addresses too (round-robin names). */
  maskWeaveIps?: boolean;
}

/** Replace volatile fields of one output by placeholders. */
export function maskVolatile(text: string, opts: MaskOptions): string {
  const peers = new Set(opts.peerNames);
  let s = text
    .replace(ID64, "<ID>")
    .replace(MAC, (m) => (peers.has(m) ? m : "<MAC>"))
    .replace(ID12, "<SHORTID>")
    .replace(
      /(Version: \S+) \((?:failed to check latest version - see logs; next check at [^)]*|version check update disabled|up to date; next check at [^)]*)\)/g,
      "$1 (<VERSION-CHECK>)",
    )
    .replace(/(Upstream: ).*/g, "$1<UPSTREAM>")
    .replace(/retry: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? \+0000 UTC m=\+[\d.]+/g, "retry: <TIME>")
    .replace(/\b(\d{1,3}(?:\.\d{1,3}){3}):(\d{2,5})\b/g, (m, ip: string, port: string) =>
      FIXED_PORTS.has(port) ? m : `${ip}:<PORT>`,
    )
    .replace(/time=[\d.]+ ms/g, "time=<T> ms")
    .replace(/min\/avg\/max = [\d./]+ ms/g, "min/avg/max = <T> ms")
    .replace(/^\d+: (\w+)@if\d+:/gm, "<N>: $1@if<N>:")
    .replace(/^(INFO|WARN|ERRO|FATA|DEBU): \d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d\.\d{6} /gm, "$1: <TS> ");
  if (opts.maskWeaveIps) s = s.replace(/\b172\.16\.16\.\d{1,3}\b/g, "<WEAVE-IP>");
  return s;
}

/** A `docker ps` table as cells (columns located by the header), ages and host ports masked. */
export function normaliseDockerPs(text: string): string {
  const lines = text.split("\n").filter((l) => l.length > 0);
  if (lines.length === 0 || !lines[0].startsWith("CONTAINER ID")) return text;
  const header = lines[0];
  const names = ["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"];
  const starts = names.map((n) => header.indexOf(n));
  if (starts.some((x) => x < 0)) return text;
  const cells = (l: string): string[] =>
    names.map((_, i) =>
      [...l]
        .slice(starts[i], i + 1 < starts.length ? starts[i + 1] : undefined)
        .join("")
        .trim(),
    );
  const out = lines.slice(1).map((l) => {
    const c = cells(l);
    c[0] = "<SHORTID>";
    c[3] = c[3] ? "<AGO>" : c[3];
    c[4] = c[4].replace(/^Up .*/, "Up <DUR>").replace(/^(Exited \(\d+\)) .* ago$/, "$1 <AGO>");
    c[5] = c[5].replace(/:\d+->/g, ":<HP>->");
    return c.join(" | ");
  });
  return [names.join(" | "), ...out].join("\n") + "\n";
}

/** `weave status peers`: blocks (peer line + indented connection lines), order-free. */
function sortPeerBlocks(text: string): string {
  const blocks: string[][] = [];
  for (const l of text.split("\n")) {
    if (l === "") continue;
    if (!l.startsWith(" ")) blocks.push([l]);
    else if (blocks.length > 0) blocks[blocks.length - 1].push(l);
  }
  return blocks
    .map((b) => [b[0], ...b.slice(1).sort()].join("\n"))
    .sort()
    .join("\n");
}

/** busybox `nslookup`: the Name/Address pairs come in DNS order, which is shuffled. */
function sortNslookup(text: string): string {
  const pairs: string[] = [];
  const rest: string[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].startsWith("Name:\t") && lines[i + 1]?.startsWith("Address: ")) {
      pairs.push(`${lines[i]}\n${lines[i + 1]}`);
      i++;
    } else rest.push(lines[i]);
  }
  return rest.join("\n") + "\n" + pairs.sort().join("\n");
}

const sortLines = (text: string): string => text.split("\n").filter(Boolean).sort().join("\n");

/**
 * Canonical form of one command's output: volatile fields masked, unordered listings sorted.
 * `command` is the command line as sent (it decides which listing rules apply).
 */
export function normalise(command: string, text: string, opts: MaskOptions): string {
  const cmd = command.trim();
  const roundRobin = /\b(ping|wget|nslookup)\b.*\bweb1\b/.test(cmd);
  // Columns are located before masking changes their widths.
  const table = /^docker ps\b/.test(cmd) ? normaliseDockerPs(text) : text;
  let s = maskVolatile(table, { ...opts, maskWeaveIps: opts.maskWeaveIps ?? roundRobin });
  if (/^docker ps\b/.test(cmd)) {
    // normaliseDockerPs masked its own cells.
  } else if (/^weave status ipam$/.test(cmd)) {
    const [first, ...rest] = s.split("\n").filter(Boolean);
    s = [first ?? "", ...rest.sort()].join("\n");
  } else if (/^weave status (connections|targets)$/.test(cmd) || /^weave dns-lookup /.test(cmd))
    s = sortLines(s);
  else if (/^weave status peers$/.test(cmd)) s = sortPeerBlocks(s);
  else if (/nslookup /.test(cmd)) s = sortNslookup(s);
  return s;
}

/** The message of a Weave log line without level and timestamp, or undefined for other lines. */
export function logMessage(line: string): string | undefined {
  const m = /^(INFO|WARN|ERRO|FATA|DEBU): \d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d\.\d{6} (.*)$/.exec(line);
  return m ? m[2] : undefined;
}
