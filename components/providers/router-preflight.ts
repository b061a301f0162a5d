/**
 * The Router's preflight on a host, over SSH: nothing is changed until Docker and the weave
 * script are known to fit (`weave/compat.ts` decides), and the pinned script is installed when
 * `install: download`.
 */
import type { HostConnection } from "../remote/types";
import { checkCompat } from "../weave/compat";
import { parseDockerVersionLine, parseScriptVersionLine, parseWeaveVersion } from "../weave/ps";
import { scriptVersionCmd, weaveCli } from "./cli";
import { readDockerVersion } from "./docker-reads";
import type { OpsEnv } from "./ops-env";
import { weaveEnv } from "./router-launch";
import { routerError } from "./router-status";
import type { RouterInputs } from "./types";

/**
 * Preflight: nothing is changed on the host until Docker and the weave script are known to fit.
 * Installs the pinned script when `install: download` (checksum verified before it is moved
 * into place).
 */
export async function preflight(env: OpsEnv, conn: HostConnection, inputs: RouterInputs): Promise<void> {
  const host = inputs.host;
  const t = inputs.timeouts.commandMs;
  const script = inputs.weave.scriptPath;
  // Both are reads: ask them together.
  const early = inputs.weave.install === "present" ? readScriptVersion(conn, inputs) : undefined;
  early?.catch(() => undefined);
  const d = await readDockerVersion(conn, t);
  if (d.code !== 0) {
    throw routerError(
      host,
      `Docker is not usable: \`docker version\` exited ${d.code}: ${(d.stderr || d.stdout).trim()}. Install Docker Engine (≤ 24 for weaveworks 2.8.1) and make sure user ${inputs.connection.user} can use it.`,
    );
  }
  const docker = parseDockerVersionLine(d.stdout);
  const compat = checkCompat(
    {
      distribution: inputs.weave.distribution,
      version: inputs.weave.version,
      ...(inputs.weave.dockerApiVersionOverride !== undefined
        ? { dockerApiVersion: inputs.weave.dockerApiVersionOverride }
        : {}),
    },
    docker,
    host,
  );
  if (!compat.ok) {
    throw routerError(
      host,
      `preflight refused, nothing was changed: Docker Engine ${docker.serverVersion} (API ${docker.apiVersion}, minimum ${docker.minApiVersion}) cannot run Weave ${inputs.weave.distribution} ${inputs.weave.version}: ${compat.reason} Fix: ${compat.fix}`,
    );
  }
  if (inputs.weave.install === "download") {
    await installScript(env, conn, inputs);
  }
  const v = await (early ?? readScriptVersion(conn, inputs));
  if ("problem" in v) {
    throw routerError(
      host,
      `the weave script is not usable at ${script}: ${v.problem}. ` +
        (inputs.weave.install === "present"
          ? `Install Weave ${inputs.weave.version} there, or set network.weave.install to "download".`
          : ""),
    );
  }
  if (v.version !== inputs.weave.version) {
    throw routerError(
      host,
      `${script} is weave script ${v.version}, but the lab wants ${inputs.weave.distribution} ${inputs.weave.version}. Install that version (or change network.weave.version).`,
    );
  }
}

/**
 * The version of the weave script at the planned path: its `SCRIPT_VERSION=` line (a `grep`,
 * milliseconds), or, for a script without one (a wrapper), `weave version` (a helper container).
 */
export async function readScriptVersion(
  conn: HostConnection,
  inputs: RouterInputs,
): Promise<{ version: string | undefined } | { problem: string }> {
  const t = inputs.timeouts.commandMs;
  const g = await conn.exec(scriptVersionCmd(inputs.weave.scriptPath), {
    allowFailure: true,
    timeoutMs: t,
    what: "the weave script's SCRIPT_VERSION line",
  });
  const fromLine = g.code === 0 ? parseScriptVersionLine(g.stdout) : undefined;
  if (fromLine !== undefined) return { version: fromLine };
  if (g.code !== 0 && g.code !== 1) {
    return { problem: `\`grep SCRIPT_VERSION\` exited ${g.code}: ${(g.stderr || g.stdout).trim()}` };
  }
  const vc = weaveCli(inputs.weave).version();
  const v = await conn.exec(vc.argv, {
    env: { ...weaveEnv(inputs), ...vc.env },
    allowFailure: true,
    timeoutMs: t,
    what: "weave version",
  });
  if (v.code !== 0)
    return { problem: `\`weave version\` exited ${v.code}: ${(v.stderr || v.stdout).trim()}` };
  return { version: parseWeaveVersion(v.stdout).value.script };
}

async function installScript(env: OpsEnv, conn: HostConnection, inputs: RouterInputs): Promise<void> {
  const { scriptPath, scriptUrl, scriptSha256 } = inputs.weave;
  if (!scriptUrl || !scriptSha256) {
    throw routerError(inputs.host, "install is download but scriptUrl or scriptSha256 is missing");
  }
  const t = inputs.timeouts.commandMs;
  const have = await conn.exec(["sha256sum", scriptPath], {
    allowFailure: true,
    timeoutMs: t,
    what: "sha256sum of the weave script",
  });
  if (have.code === 0 && have.stdout.split(/\s+/)[0] === scriptSha256.toLowerCase()) return;
  env.log(`${inputs.host}: installing weave ${inputs.weave.version} from ${scriptUrl}`);
  const tmp = `${scriptPath}.weave-lab-download`;
  await conn.exec(["curl", "-fsSL", "--retry", "3", "-o", tmp, scriptUrl], {
    timeoutMs: Math.max(t, 120_000),
    what: `download of ${scriptUrl}`,
  });
  const sum = await conn.exec(["sha256sum", tmp], {
    timeoutMs: t,
    what: "sha256sum of the downloaded script",
  });
  const got = sum.stdout.split(/\s+/)[0];
  if (got !== scriptSha256.toLowerCase()) {
    await conn.exec(["rm", "-f", tmp], { allowFailure: true, timeoutMs: t });
    throw routerError(
      inputs.host,
      `the script downloaded from ${scriptUrl} has SHA-256 ${got}, expected ${scriptSha256}: refusing to install it`,
    );
  }
  await conn.exec(["chmod", "0755", tmp], { timeoutMs: t });
  await conn.exec(["mv", "-f", tmp, scriptPath], { timeoutMs: t });
}
