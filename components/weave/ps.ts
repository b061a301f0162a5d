/**
 * `weave ps`, `weave version`, `docker version --format …`, `weave rmpeer` and `weave launch`
 * outputs: the small one-line formats.
 */
import type { Parsed, PsEntry } from "./types";

function lines(text: string): string[] {
  return text
    .split("\n")
    .map((l) => l.replace(/\s+$/, ""))
    .filter((l) => l.length > 0);
}

/**
 * `weave ps [names]`: `<id> <mac> [cidr …]` per weave interface. A container attached without
 * addresses shows only its MAC; `weave ps <stopped>` prints a lone empty line (accepted).
 */
export function parsePs(text: string): Parsed<PsEntry[]> {
  const value: PsEntry[] = [];
  const unparsed: string[] = [];
  for (const line of lines(text)) {
    const parts = line.split(/\s+/);
    const [id, mac, ...cidrs] = parts;
    if (
      parts.length < 2 ||
      !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(mac) ||
      !cidrs.every((c) => /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(c))
    ) {
      unparsed.push(line);
      continue;
    }
    value.push({ id, mac: mac.toLowerCase(), cidrs, isExpose: id === "weave:expose" });
  }
  return { value, unparsed };
}

/** `weave version`: `weave script 2.8.1` then `weave 2.8.1` (the router's or weaveexec's). */
export function parseWeaveVersion(text: string): Parsed<{ script?: string; router?: string }> {
  const value: { script?: string; router?: string } = {};
  const unparsed: string[] = [];
  for (const line of lines(text)) {
    const s = /^weave script (\S+)$/.exec(line);
    const r = /^weave (?:router )?(\S+)$/.exec(line);
    if (s) value.script = s[1];
    else if (r) value.router = r[1];
    else unparsed.push(line);
  }
  return { value, unparsed };
}

/**
 * The `SCRIPT_VERSION="2.8.1"` line of the weave script itself (the release process writes the
 * version there; the 2.8.1 script has exactly that line). Reading it with `grep` costs a
 * millisecond, `weave version` a helper container (2.9–3.9 s on real hosts). Undefined when the
 * text has no such line (e.g. a wrapper script).
 */
export function parseScriptVersionLine(text: string): string | undefined {
  const m = /^SCRIPT_VERSION=(["']?)([^"'\s]+)\1\s*$/m.exec(text.replace(/\r/g, ""));
  return m ? m[2] : undefined;
}

/** A version like `20.10.24+dfsg1` or `25.0.0-rc.1`, reduced to numbers for comparisons. */
export interface EngineVersion {
  /** As printed. */
  text: string;
  major: number;
  minor: number;
  patch: number;
}

/**
 * Lenient semantic version: takes the leading `X[.Y[.Z]]` and ignores distribution suffixes
 * (`+dfsg1`, `~ds1`, `-ce`, `-1ubuntu1`). Undefined if there is no leading number.
 */
export function parseEngineVersion(text: string): EngineVersion | undefined {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(text.trim());
  if (!m) return undefined;
  return { text: text.trim(), major: Number(m[1]), minor: Number(m[2] ?? 0), patch: Number(m[3] ?? 0) };
}

/** Docker API versions compare numerically per part (`1.9` < `1.12`). */
export function compareApiVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** The three facts of `docker version --format '{{.Server.Version}} {{.Server.APIVersion}} {{.Server.MinAPIVersion}}'`. */
export interface DockerServerFacts {
  serverVersion: string;
  apiVersion: string;
  minApiVersion: string;
}

/** `20.10.24+dfsg1 1.41 1.12` → facts; throws naming the text when it is not three fields. */
export function parseDockerVersionLine(text: string): DockerServerFacts {
  const parts = text.trim().split(/\s+/);
  const api = /^\d+\.\d+$/;
  if (parts.length !== 3 || !parseEngineVersion(parts[0]) || !api.test(parts[1]) || !api.test(parts[2])) {
    throw new Error(
      `cannot read docker version output ${JSON.stringify(text.trim())}: expected "<server version> <API version> <min API version>", e.g. "20.10.24+dfsg1 1.41 1.12"`,
    );
  }
  return { serverVersion: parts[0], apiVersion: parts[1], minApiVersion: parts[2] };
}

/** `weave rmpeer X`: one `N IPs taken over from X` line per peer named. */
export function parseRmpeer(text: string): Parsed<Array<{ peer: string; ipsTakenOver: number }>> {
  const value: Array<{ peer: string; ipsTakenOver: number }> = [];
  const unparsed: string[] = [];
  for (const line of lines(text)) {
    const m = /^(\d+) IPs taken over from (\S+)$/.exec(line);
    if (m) value.push({ peer: m[2], ipsTakenOver: Number(m[1]) });
    else unparsed.push(line);
  }
  return { value, unparsed };
}

/**
 * `weave launch` prints image-pull progress first (when images were missing) and the router's
 * full container ID last (§10.2). Undefined when the last line is not a 64-hex ID.
 */
export function parseLaunchContainerId(stdout: string): string | undefined {
  const all = lines(stdout);
  const last = all[all.length - 1];
  return last !== undefined && /^[0-9a-f]{64}$/.test(last) ? last : undefined;
}
