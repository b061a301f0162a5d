/** How the `docker` double prints: durations, tables, and the columns of `docker ps`. */
import { ContainerRecord } from "../state";

export const seeHelp = (cmd: string): string => `See 'docker ${cmd} --help'.`;

/** Go's `units.HumanDuration`, which Docker prints in CREATED/STATUS. */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 1) return "Less than a second";
  if (s === 1) return "1 second";
  if (s < 60) return `${s} seconds`;
  const m = Math.floor(s / 60);
  if (m === 1) return "About a minute";
  if (m < 60) return `${m} minutes`;
  const h = Math.round(m / 60);
  if (h === 1) return "About an hour";
  if (h < 48) return `${h} hours`;
  const d = Math.floor(h / 24);
  if (d < 14) return `${d} days`;
  if (d < 60) return `${Math.floor(d / 7)} weeks`;
  if (d < 365 * 2) return `${Math.floor(d / 30)} months`;
  return `${Math.floor(d / 365)} years`;
}

/** Docker's table layout: tabwriter with min width 10 and padding 3; the last column is not padded. */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows)
    r.forEach((cell, i) => {
      if (i < r.length - 1) widths[i] = Math.max(widths[i] ?? 0, Math.max(10, [...cell].length + 3));
    });
  return rows
    .map(
      (r) =>
        r
          .map((cell, i) => (i < r.length - 1 ? cell + " ".repeat(widths[i] - [...cell].length) : cell))
          .join("") + "\n",
    )
    .join("");
}

function commandOf(c: ContainerRecord): string {
  return [c.Path, ...c.Args].join(" ");
}

function ellipsis(s: string, n: number): string {
  const chars = [...s];
  return chars.length <= n ? s : chars.slice(0, n - 1).join("") + "…";
}

function portsOf(c: ContainerRecord): string {
  if (c.State.Status !== "running") return "";
  const out: string[] = [];
  for (const [port, binds] of Object.entries(c.NetworkSettings.Ports)) {
    if (binds === null) out.push(port);
    for (const b of binds ?? []) out.push(`${b.HostIp || "0.0.0.0"}:${b.HostPort}->${port}`);
  }
  return out.join(", ");
}

function statusOf(c: ContainerRecord, now: number): string {
  if (c.State.Status === "running") return `Up ${humanDuration(now - Date.parse(c.State.StartedAt))}`;
  if (c.State.Status === "created") return "Created";
  if (c.State.Status === "restarting")
    return `Restarting (${c.State.ExitCode}) ${humanDuration(now - Date.parse(c.State.FinishedAt))} ago`;
  return `Exited (${c.State.ExitCode}) ${humanDuration(now - Date.parse(c.State.FinishedAt))} ago`;
}

/** The object `docker ps --format` templates see. */
export function psRow(c: ContainerRecord, now: number, trunc: boolean): Record<string, string> {
  const cmd = JSON.stringify(commandOf(c));
  return {
    Command: trunc ? `"${ellipsis(commandOf(c), 20)}"` : cmd,
    CreatedAt: new Date(Date.parse(c.Created))
      .toISOString()
      .replace("T", " ")
      .replace(/\.\d+Z$/, " +0000 UTC"),
    ID: trunc ? c.Id.slice(0, 12) : c.Id,
    Image: c.Config.Image,
    Labels: Object.entries(c.Config.Labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(","),
    LocalVolumes: "0",
    Mounts: "",
    Names: c.Name.slice(1),
    Networks: c.HostConfig.NetworkMode === "default" ? "bridge" : c.HostConfig.NetworkMode,
    Ports: portsOf(c),
    RunningFor: `${humanDuration(now - Date.parse(c.Created))} ago`,
    Size: "0B",
    State: c.State.Status,
    Status: statusOf(c, now),
  };
}
