/**
 * Dialing a host: TCP, an optional jump host, the SSH handshake with host-key verification, and
 * retries while the host is unreachable. What comes out is an `SshConnection` (`connection.ts`).
 * Secrets (private key, passphrase) are never placed in a message or log event.
 */
import * as net from "net";
import type { Duplex } from "stream";
import { Client, type ClientChannel, type ConnectConfig, type ServerHostKeyAlgorithm } from "ssh2";
import { backoffDelay } from "./backoff";
import { ROUTER_API, SshConnection } from "./connection";
import { type ConnectionPlan, type Hop, planConnection } from "./dial-plan";
import { HostKeyMismatchError, RemoteConnectError, formatMs } from "./errors";
import { fingerprintOf, hostKeyAlgorithmsFor, hostKeyMatches } from "./hostkey";
import { log } from "./log";
import type { ConnectParams } from "./types";

/** Longest single handshake attempt; a longer budget is spent on more attempts instead. */
const MAX_ATTEMPT_MS = 15_000;
/** Shortest attempt worth starting: a TCP connect plus an SSH handshake on a LAN. */
const MIN_ATTEMPT_MS = 200;

/** Transport options that are not part of the host's parameters (tests, benchmarks). */
export interface ConnectOptions {
  /**
   * Where `http()` connects, as seen from the host. Defaults to `ROUTER_API` (127.0.0.1:6784);
   * tests on a shared loopback use another port.
   */
  routerApi?: { host: string; port: number };
}

/**
 * Open an SSH session to a host, verifying its key, retrying while it is unreachable (a fresh
 * host's sshd may not be up yet) for at most `connectTimeoutSeconds`. Authentication failures,
 * host-key mismatches and bad parameters fail at once.
 */
export async function connect(params: ConnectParams, options: ConnectOptions = {}): Promise<SshConnection> {
  const plan = planConnection(params);
  if (params.insecureIgnoreHostKey) {
    log({
      level: "warn",
      hostName: params.hostName,
      message: `INSECURE: host key of ${plan.target.label} is not verified (insecureIgnoreHostKey); a man in the middle could read secrets sent to it`,
    });
  }
  const budgetMs = Math.max(1, params.connectTimeoutSeconds) * 1000;
  const started = Date.now();
  let attempts = 0;
  let lastError: Error | undefined;
  // Every attempt and every pause fits in the budget: the last attempt gets only what is left.
  for (let remaining = budgetMs; remaining >= MIN_ATTEMPT_MS; remaining = budgetMs - (Date.now() - started)) {
    attempts++;
    try {
      const { client, jump, socket } = await attemptConnection(
        params,
        plan,
        Math.min(MAX_ATTEMPT_MS, remaining),
      );
      log({
        level: "info",
        hostName: params.hostName,
        message: `connected to ${plan.target.label}${attempts > 1 ? ` after ${attempts} attempts` : ""}`,
        durationMs: Date.now() - started,
      });
      return new SshConnection(params, client, jump, socket, options.routerApi ?? ROUTER_API);
    } catch (e) {
      if (e instanceof RemoteConnectError && e.kind !== "unreachable") {
        throw e;
      }
      lastError = e as Error;
    }
    const left = budgetMs - (Date.now() - started);
    const delay = backoffDelay(attempts - 1, left - MIN_ATTEMPT_MS);
    if (delay <= 0) {
      break;
    }
    log({
      level: "debug",
      hostName: params.hostName,
      message: `not reachable yet (${lastError.message}); retrying in ${formatMs(delay)}`,
    });
    await sleep(delay);
  }
  throw new RemoteConnectError(
    `host ${params.hostName}: could not connect to ${plan.target.label} within ${formatMs(budgetMs)} (${attempts} attempt(s)); last error: ${lastError?.message ?? "none"}`,
    params.hostName,
    "unreachable",
  );
}

async function attemptConnection(
  params: ConnectParams,
  plan: ConnectionPlan,
  attemptMs: number,
): Promise<{ client: Client; jump?: Client; socket: net.Socket }> {
  const first = plan.jump ?? plan.target;
  const socket = await tcpConnect(params.hostName, first, attemptMs);
  let jump: Client | undefined;
  try {
    if (plan.jump) {
      jump = await handshake(params, plan.jump, socket, attemptMs);
      const j = jump;
      const stream = await new Promise<ClientChannel>((resolve, reject) => {
        j.forwardOut("127.0.0.1", 0, plan.target.host, plan.target.port, (err, s) => {
          if (err) {
            reject(
              new RemoteConnectError(
                `host ${params.hostName}: ${plan.jump?.label} cannot reach ${plan.target.host}:${plan.target.port}: ${err.message}`,
                params.hostName,
                "unreachable",
              ),
            );
          } else {
            resolve(s);
          }
        });
      });
      const client = await handshake(params, plan.target, stream, attemptMs);
      return { client, jump, socket };
    }
    const client = await handshake(params, plan.target, socket, attemptMs);
    return { client, socket };
  } catch (e) {
    jump?.end();
    socket.destroy();
    throw e;
  }
}

function tcpConnect(hostName: string, hop: Hop, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: hop.host, port: hop.port });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(
        new RemoteConnectError(
          `host ${hostName}: TCP connect to ${hop.host}:${hop.port} timed out after ${formatMs(timeoutMs)}`,
          hostName,
          "unreachable",
        ),
      );
    }, timeoutMs);
    sock.once("connect", () => {
      clearTimeout(timer);
      sock.removeAllListeners("error");
      // Notice a silently dead peer eventually, without a JS timer that would hold the process.
      sock.setKeepAlive(true, 15_000);
      sock.setNoDelay(true);
      resolve(sock);
    });
    sock.once("error", (err) => {
      clearTimeout(timer);
      reject(
        new RemoteConnectError(
          `host ${hostName}: cannot reach ${hop.host}:${hop.port}: ${err.message}`,
          hostName,
          "unreachable",
        ),
      );
    });
  });
}

function handshake(params: ConnectParams, hop: Hop, sock: Duplex, timeoutMs: number): Promise<Client> {
  const hostName = params.hostName;
  return new Promise((resolve, reject) => {
    const client = new Client();
    let presented: Buffer | undefined;
    let mismatch = false;
    let done = false;
    const settle = (e?: Error): void => {
      if (done) {
        return;
      }
      done = true;
      if (e) {
        client.removeAllListeners("ready");
        client.on("error", () => undefined);
        client.end();
        reject(e);
      } else {
        client.removeAllListeners("error");
        // Until its owner listens (a jump host waits for the inner handshake), an error must not
        // become an uncaught 'error' event; the owner learns of it from 'close'.
        client.on("error", () => undefined);
        resolve(client);
      }
    };
    client.once("ready", () => settle());
    client.on("error", (err: Error & { level?: string }) => {
      if (mismatch && presented && hop.expected) {
        settle(
          new HostKeyMismatchError(
            hostName,
            `${hop.label}`,
            hop.expected.fingerprint,
            fingerprintOf(presented),
          ),
        );
      } else if (err.level === "client-authentication") {
        const how = hop.privateKey ? "the private key" : `the SSH agent at ${hop.agent ?? "(none)"}`;
        settle(
          new RemoteConnectError(
            `host ${hostName}: authentication as ${hop.user} on ${hop.label} failed using ${how}`,
            hostName,
            "auth",
          ),
        );
      } else {
        settle(
          new RemoteConnectError(
            `host ${hostName}: SSH handshake with ${hop.label} failed: ${err.message}`,
            hostName,
            "unreachable",
          ),
        );
      }
    });
    client.on("close", () =>
      settle(
        new RemoteConnectError(
          `host ${hostName}: ${hop.label} closed the connection during the handshake`,
          hostName,
          "unreachable",
        ),
      ),
    );
    const algorithms = hop.expected ? hostKeyAlgorithmsFor(hop.expected) : undefined;
    const config: ConnectConfig = {
      sock: sock as ConnectConfig["sock"],
      username: hop.user,
      readyTimeout: timeoutMs,
      hostVerifier: (key: Buffer): boolean => {
        presented = key;
        if (!hop.expected) {
          return params.insecureIgnoreHostKey;
        }
        mismatch = !hostKeyMatches(hop.expected, key);
        return !mismatch;
      },
      ...(algorithms ? { algorithms: { serverHostKey: algorithms as ServerHostKeyAlgorithm[] } } : {}),
      ...(hop.privateKey ? { privateKey: hop.privateKey, passphrase: hop.passphrase } : { agent: hop.agent }),
    };
    try {
      client.connect(config);
    } catch (e) {
      // ssh2 throws synchronously for an unreadable key; its message names no key material.
      settle(
        new RemoteConnectError(
          `host ${hostName}: cannot use the private key for ${hop.label}: ${(e as Error).message}`,
          hostName,
          "config",
        ),
      );
    }
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
