/**
 * Which Weave can drive which Docker Engine (reference §2, §11 G1).
 *
 * Weave's helpers (weaveutil in weaveexec, and the Docker API proxy inside the router) talk to
 * dockerd at a fixed API version, and dockerd refuses clients older than its MinAPIVersion:
 *
 * - weaveworks 2.8.1 pins API 1.18 (`prog/weaveutil/*.go`, `proxy/proxy.go`) and ignores
 *   `DOCKER_API_VERSION` (the script does not pass it to weaveexec).
 * - rajch/weave from 2.8.3 (so 2.9.x) speaks 1.24 by default and honours `DOCKER_API_VERSION`
 *   in weaveutil (the script passes `-e DOCKER_API_VERSION` to weaveexec) and in the proxy
 *   (only if the variable reaches the router container, which the script does not do by itself).
 *   Its script requires a Docker client ≥ 1.12.0; weaveworks' requires ≥ 1.10.0.
 * - Engine ≤ 24 accepts API ≥ 1.12; Engine 25–28 raised the minimum to 1.24; Engine 29
 *   reportedly to 1.44.
 */
import type { WeaveDistribution } from "../spec";
import { compareApiVersions, parseEngineVersion } from "./ps";

/** Which Weave a host is to run. */
export interface WeaveBuild {
  distribution: WeaveDistribution;
  /** e.g. `2.8.1`, `2.9.0`. */
  version: string;
  /** `DOCKER_API_VERSION` set for weave calls (spec `network.weave.dockerApiVersion`). */
  dockerApiVersion?: string;
}

/** What `docker version` says about a host's engine (and optionally its client). */
export interface DockerEngineFacts {
  /** `{{.Server.Version}}`, e.g. `20.10.24+dfsg1`. */
  serverVersion: string;
  /** `{{.Server.APIVersion}}`: the newest API the engine speaks, e.g. `1.41`. */
  apiVersion: string;
  /** `{{.Server.MinAPIVersion}}`: the oldest API it accepts, e.g. `1.12`. */
  minApiVersion: string;
  /** `{{.Client.Version}}` if known; the weave script refuses clients that are too old. */
  clientVersion?: string;
}

/** The verdict: runnable, or why not and what to do. */
export type CompatResult =
  | { ok: true; /** API version Weave's helpers will use. */ apiVersion: string }
  | { ok: false; reason: string; fix: string };

function versionAtLeast(v: string, min: string): boolean {
  const a = parseEngineVersion(v);
  const b = parseEngineVersion(min);
  if (!a || !b) return false;
  return a.major !== b.major
    ? a.major > b.major
    : a.minor !== b.minor
      ? a.minor > b.minor
      : a.patch >= b.patch;
}

/** The Docker API version a Weave build's helpers speak when nothing overrides it. */
export function defaultDockerApiVersion(distribution: WeaveDistribution, version: string): string {
  if (distribution === "weaveworks") return "1.18";
  // rajch 2.8.2 was the first fork release and still spoke 1.18; 2.8.3 bumped it to 1.24.
  return versionAtLeast(version, "2.8.3") ? "1.24" : "1.18";
}

/** Whether a build reads `DOCKER_API_VERSION` (rajch ≥ 2.8.3 does, weaveworks never did). */
export function honoursDockerApiVersion(distribution: WeaveDistribution, version: string): boolean {
  return distribution === "rajch" && versionAtLeast(version, "2.8.3");
}

/** Oldest Docker client the build's `weave` script accepts. */
export function minimumDockerClient(distribution: WeaveDistribution): string {
  return distribution === "rajch" ? "1.12.0" : "1.10.0";
}

/**
 * Can `weave` (this build) drive this engine? `host` only words the messages
 * ("docker1 cannot run …").
 */
export function checkCompat(weave: WeaveBuild, docker: DockerEngineFacts, host = "this host"): CompatResult {
  const build = `${weave.distribution} ${weave.version}`;
  const engine = parseEngineVersion(docker.serverVersion);
  const apiRe = /^\d+\.\d+$/;
  if (!engine || !apiRe.test(docker.apiVersion) || !apiRe.test(docker.minApiVersion)) {
    return {
      ok: false,
      reason: `${host}: cannot read the Docker engine's versions (server ${JSON.stringify(docker.serverVersion)}, API ${JSON.stringify(docker.apiVersion)}, min API ${JSON.stringify(docker.minApiVersion)})`,
      fix: `Check that Docker runs on ${host} and that \`docker version\` works for the SSH user.`,
    };
  }
  const minClient = minimumDockerClient(weave.distribution);
  if (docker.clientVersion !== undefined && !versionAtLeast(docker.clientVersion, minClient)) {
    return {
      ok: false,
      reason: `${host} cannot run Weave ${build}: its docker client is ${docker.clientVersion}, and the weave script requires ${minClient} or later`,
      fix: `Upgrade the docker CLI on ${host} to ${minClient} or newer.`,
    };
  }

  const def = defaultDockerApiVersion(weave.distribution, weave.version);
  const overridden =
    weave.dockerApiVersion !== undefined && honoursDockerApiVersion(weave.distribution, weave.version);
  const speaks = overridden ? weave.dockerApiVersion! : def;
  const ignoredNote =
    weave.dockerApiVersion !== undefined && !overridden
      ? ` (DOCKER_API_VERSION=${weave.dockerApiVersion} is ignored by ${build}, whose helpers always speak ${def})`
      : "";

  if (compareApiVersions(speaks, docker.minApiVersion) < 0) {
    const reason = `${host} cannot run Weave ${build}: Docker Engine ${docker.serverVersion} accepts API ${docker.minApiVersion} or newer, but ${build} speaks API ${speaks}${ignoredNote}`;
    if (weave.distribution === "weaveworks" || def === "1.18") {
      return {
        ok: false,
        reason,
        fix:
          compareApiVersions(docker.minApiVersion, "1.24") <= 0
            ? `Pin Docker Engine 24.x or older on ${host} (it accepts API 1.12+), or set network.weave.distribution to "rajch" (2.9.x speaks API 1.24, which Engine 25–28 accept).`
            : `Pin Docker Engine 24.x or older on ${host}; distribution "rajch" would need network.weave.dockerApiVersion ≥ ${docker.minApiVersion} on this engine.`,
      };
    }
    return {
      ok: false,
      reason,
      fix: `Pin Docker Engine 28.x or older on ${host}, or set network.weave.dockerApiVersion to "${docker.minApiVersion}" (rajch honours DOCKER_API_VERSION in weaveutil; not verified against this engine, and the Docker API proxy inside the router does not receive it, so keep network.proxy off).`,
    };
  }
  if (compareApiVersions(speaks, docker.apiVersion) > 0) {
    return {
      ok: false,
      reason: `${host} cannot run Weave ${build}: ${build} speaks Docker API ${speaks}, newer than the ${docker.apiVersion} that Docker Engine ${docker.serverVersion} supports`,
      fix: overridden
        ? `Set network.weave.dockerApiVersion to ${docker.apiVersion} or lower (at least ${docker.minApiVersion}), or upgrade Docker on ${host}.`
        : `Upgrade Docker on ${host} (API ${speaks} needs Engine 1.12 or newer), or use distribution "weaveworks" 2.8.1 (API 1.18).`,
    };
  }
  return { ok: true, apiVersion: speaks };
}

/** One row of the "which engine runs which Weave" table. */
export interface CompatRow {
  /** Engine versions the row stands for, e.g. `25.x – 28.x`. */
  engines: string;
  /** The engine's MinAPIVersion in that span. */
  minApiVersion: string;
  /** Whether the fact is reported by third parties rather than verified. */
  reported: boolean;
  /** Per Weave build, the verdict of `checkCompat` on a representative engine of the span. */
  verdicts: Array<{ build: string; ok: boolean; note: string }>;
}

/** Representative engines for each span (API numbers as those releases print them). */
const ENGINE_SPANS: Array<{ engines: string; sample: DockerEngineFacts; reported: boolean }> = [
  {
    engines: "1.12 – 24.x",
    sample: { serverVersion: "24.0.9", apiVersion: "1.43", minApiVersion: "1.12" },
    reported: false,
  },
  {
    engines: "25.x – 28.x",
    sample: { serverVersion: "27.5.1", apiVersion: "1.47", minApiVersion: "1.24" },
    reported: false,
  },
  {
    engines: "29.x and newer",
    sample: { serverVersion: "29.0.0", apiVersion: "1.52", minApiVersion: "1.44" },
    reported: true,
  },
];

/** Weave builds the table compares. */
export const TABLE_BUILDS: WeaveBuild[] = [
  { distribution: "weaveworks", version: "2.8.1" },
  { distribution: "rajch", version: "2.9.0" },
];

/** The compatibility table, computed with `checkCompat` so that docs and checks cannot disagree. */
export function compatTable(builds: WeaveBuild[] = TABLE_BUILDS): CompatRow[] {
  return ENGINE_SPANS.map((span) => ({
    engines: span.engines,
    minApiVersion: span.sample.minApiVersion,
    reported: span.reported,
    verdicts: builds.map((b) => {
      const r = checkCompat(b, span.sample);
      return {
        build: `${b.distribution} ${b.version}`,
        ok: r.ok,
        note: r.ok
          ? `speaks API ${r.apiVersion}`
          : `needs API ≥ ${span.sample.minApiVersion}, speaks ${defaultDockerApiVersion(b.distribution, b.version)}`,
      };
    }),
  }));
}

/** The table as Markdown, for the README. */
export function renderCompatTable(builds: WeaveBuild[] = TABLE_BUILDS): string {
  const rows = compatTable(builds);
  const head = ["Docker Engine", "min API", ...builds.map((b) => `${b.distribution} ${b.version}`)];
  const lines = [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`];
  for (const r of rows) {
    const cells = r.verdicts.map((v) => `${v.ok ? "yes" : "no"} (${v.note})`);
    lines.push(
      `| ${r.engines} | ${r.minApiVersion}${r.reported ? " (reported)" : ""} | ${cells.join(" | ")} |`,
    );
  }
  return lines.join("\n");
}
