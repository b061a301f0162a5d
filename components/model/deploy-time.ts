/**
 * Values known only at deploy time: where a host is, when it comes from another resource (a VM
 * created in the same program). The planner imports no Pulumi, so it recognises such a value by
 * its shape, a Pulumi Output (its `__pulumiOutput` brand) or a Promise, the way it reads secrets
 * only for their presence. A plan made before they are known shows `<address of docker2>`.
 */

/** The host fields that may be given at deploy time, as paths inside a host. */
export const DEPLOY_TIME_HOST_FIELDS = [
  "address",
  "ssh.host",
  "ssh.user",
  "ssh.jumpHost.host",
  "ssh.jumpHost.user",
] as const;

export type DeployTimeHostField = (typeof DEPLOY_TIME_HOST_FIELDS)[number];

/** Stands for "given at deploy time" where no Output is at hand (re-planning from a plan). */
export const AT_DEPLOY: unique symbol = Symbol.for("weave-lab.at-deploy");

/** Is `v` a Pulumi Output, a Promise or `AT_DEPLOY` (a value the program learns at deploy time)? */
export function isDeployTime(v: unknown): boolean {
  if (v === AT_DEPLOY) return true;
  if (typeof v !== "object" || v === null) return false;
  const o = v as { __pulumiOutput?: unknown; then?: unknown };
  return o.__pulumiOutput === true || typeof o.then === "function";
}

/** The value at `path` (`"ssh.jumpHost.host"`) inside a host, or undefined. */
export function hostField(host: unknown, path: DeployTimeHostField): unknown {
  let v: unknown = host;
  for (const k of path.split(".")) {
    if (typeof v !== "object" || v === null) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

/** The host fields of `host` that are given at deploy time. */
export function deployTimeFields(host: unknown): DeployTimeHostField[] {
  return DEPLOY_TIME_HOST_FIELDS.filter((f) => isDeployTime(hostField(host, f)));
}

/** What a plan made before deploy time shows for such a field: `<address of docker2>`. */
export function atDeployText(field: DeployTimeHostField, hostName: string): string {
  const what: Record<DeployTimeHostField, string> = {
    address: "address",
    "ssh.host": "ssh host",
    "ssh.user": "ssh user",
    "ssh.jumpHost.host": "bastion",
    "ssh.jumpHost.user": "bastion user",
  };
  return `<${what[field]} of ${hostName}>`;
}

/** A copy of `host` with `values` set at their paths (the deploy-time fields, once known). */
export function withHostFields<H extends object>(
  host: H,
  values: Partial<Record<DeployTimeHostField, unknown>>,
): H {
  const copy = structuredCopy(host) as Record<string, unknown>;
  for (const [path, value] of Object.entries(values)) {
    const keys = path.split(".");
    let o = copy;
    for (const k of keys.slice(0, -1)) o = o[k] as Record<string, unknown>;
    o[keys[keys.length - 1]] = value;
  }
  return copy as H;
}

/** Copies the plain objects along the deploy-time paths; leaves every other value (secrets, Outputs) as it is. */
function structuredCopy(host: object): object {
  const h = { ...(host as Record<string, unknown>) };
  if (typeof h.ssh === "object" && h.ssh !== null) {
    const ssh = { ...(h.ssh as Record<string, unknown>) };
    if (typeof ssh.jumpHost === "object" && ssh.jumpHost !== null)
      ssh.jumpHost = { ...(ssh.jumpHost as object) };
    h.ssh = ssh;
  }
  return h;
}
