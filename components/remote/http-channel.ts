/**
 * HTTP over an SSH channel: Node's HTTP client on a forwarded (`direct-tcpip`) channel, and the
 * deadline `SshConnection.http` puts around forwarding and request together.
 */
import * as http from "http";
import * as net from "net";
import type { Duplex } from "stream";
import { safely } from "./exec-run";
import type { HttpResponse } from "./types";

/** One request: where it goes as seen from the host, and what it sends. */
export interface ChannelRequest {
  method: "GET" | "POST" | "PUT" | "DELETE";
  path: string;
  host: string;
  port: number;
  headers?: Record<string, string>;
  body?: string;
}

/**
 * Send `request` over `stream` with `Connection: close` and read the whole answer; `failed`
 * words an error of the HTTP client.
 */
export function requestOverChannel(
  stream: Duplex,
  request: ChannelRequest,
  failed: (err: Error) => Error,
): Promise<HttpResponse> {
  return new Promise<HttpResponse>((resolve, reject) => {
    const body = request.body === undefined ? undefined : Buffer.from(request.body, "utf8");
    const headers: Record<string, string> = { ...(request.headers ?? {}), Connection: "close" };
    if (body !== undefined) {
      headers["Content-Length"] = String(body.length);
    }
    const req = http.request(
      {
        method: request.method,
        path: request.path,
        host: request.host,
        port: request.port,
        headers,
        createConnection: () => asSocket(stream),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", (err: Error) => reject(failed(err)));
    req.end(body);
  });
}

/**
 * Run `body` with a deadline. `onCancel` registers clean-up for when the deadline wins.
 */
export async function withDeadline<T>(
  ms: number,
  timeoutError: () => Error,
  body: (onCancel: (fn: () => void) => void) => Promise<T>,
): Promise<T> {
  const cancels: Array<() => void> = [];
  let cancelled = false;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      cancelled = true;
      cancels.splice(0).forEach((c) => safely(c));
      reject(timeoutError());
    }, ms);
  });
  // Clean-up registered after the deadline (a forward that opened late) runs at once.
  const onCancel = (fn: () => void): void => (cancelled ? safely(fn) : void cancels.push(fn));
  try {
    return await Promise.race([body(onCancel), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Node's HTTP client wants a socket; an SSH channel is a Duplex that lacks the socket knobs. */
function asSocket(stream: Duplex): net.Socket {
  const s = stream as Duplex &
    Partial<Pick<net.Socket, "setTimeout" | "setNoDelay" | "setKeepAlive" | "ref" | "unref">>;
  s.setTimeout ??= (() => s) as unknown as net.Socket["setTimeout"];
  s.setNoDelay ??= (() => s) as unknown as net.Socket["setNoDelay"];
  s.setKeepAlive ??= (() => s) as unknown as net.Socket["setKeepAlive"];
  s.ref ??= (() => s) as unknown as net.Socket["ref"];
  s.unref ??= (() => s) as unknown as net.Socket["unref"];
  return s as unknown as net.Socket;
}
