/**
 * The SSH settings checked before any traffic, as the hops `dial.ts` connects through: the host
 * itself and, optionally, a jump host in front of it.
 */
import { RemoteConnectError } from "./errors";
import { type ExpectedHostKey, parseHostKey } from "./hostkey";
import type { ConnectParams } from "./types";

/** One SSH endpoint to authenticate to: where, as whom, with which credentials and host key. */
export interface Hop {
  label: string;
  host: string;
  port: number;
  user: string;
  privateKey?: string;
  passphrase?: string;
  agent?: string;
  expected?: ExpectedHostKey;
}

/** The host to reach, and the jump host to reach it through if any. */
export interface ConnectionPlan {
  target: Hop;
  jump?: Hop;
}

/**
 * Check the parameters before any traffic: every problem at once, as `field: message`.
 * Exported for tests.
 */
export function planConnection(p: ConnectParams): ConnectionPlan {
  const problems: string[] = [];
  const agent = p.privateKey ? undefined : (p.agent ?? process.env.SSH_AUTH_SOCK);
  const label = (user: string, host: string, port: number): string => `${user}@${host}:${port}`;
  const checkEndpoint = (prefix: string, host: string, port: number, user: string): void => {
    if (!host) {
      problems.push(`${prefix}host: is empty; give an address or name`);
    }
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      problems.push(`${prefix}port: ${String(port)} is not a port (1–65535)`);
    }
    if (!user) {
      problems.push(`${prefix}user: is empty; give a login user`);
    }
  };
  checkEndpoint("", p.host, p.port, p.user);
  if (!p.privateKey && !agent) {
    problems.push(
      "privateKey: none given and no SSH agent (agent / $SSH_AUTH_SOCK); give a private key or an agent socket",
    );
  }
  const expectedOf = (field: string, value: string | undefined, who: string): ExpectedHostKey | undefined => {
    if (value === undefined || value.trim() === "") {
      if (!p.insecureIgnoreHostKey) {
        problems.push(
          `${field}: not given for ${who}; give its public key line or SHA256 fingerprint (\`ssh-keyscan\` shows it), or set insecureIgnoreHostKey (insecure)`,
        );
      }
      return undefined;
    }
    try {
      return parseHostKey(value, field);
    } catch (e) {
      problems.push((e as Error).message);
      return undefined;
    }
  };
  const target: Hop = {
    label: label(p.user, p.host, p.port),
    host: p.host,
    port: p.port,
    user: p.user,
    privateKey: p.privateKey,
    passphrase: p.passphrase,
    agent,
    expected: expectedOf("hostKey", p.hostKey, `host ${p.hostName}`),
  };
  let jump: Hop | undefined;
  if (p.jumpHost) {
    const j = p.jumpHost;
    checkEndpoint("jumpHost.", j.host, j.port, j.user);
    jump = {
      label: `jump host ${label(j.user, j.host, j.port)}`,
      host: j.host,
      port: j.port,
      user: j.user,
      // The bastion uses the host's credentials unless it has its own key.
      privateKey: j.privateKey ?? p.privateKey,
      passphrase: j.privateKey ? undefined : p.passphrase,
      agent: j.privateKey ? undefined : agent,
      expected: expectedOf("jumpHost.hostKey", j.hostKey, `jump host ${j.host}`),
    };
  }
  if (problems.length > 0) {
    throw new RemoteConnectError(
      `host ${p.hostName}: invalid SSH settings:\n  ${problems.join("\n  ")}`,
      p.hostName,
      "config",
    );
  }
  return { target, jump };
}
