/**
 * A long-lived ssh2 session to a lab host, for tests and benches that need one open channel
 * (sessions that must survive sshd being stopped, round trips through the delay proxy).
 */
import type { ClientChannel } from "ssh2";
import { ssh2Client } from "./ssh-client";
import type { TestLab } from "./types";

/**
 * An open ssh2 session running `cat`: each `echo()` sends a line and resolves when it comes back
 * (one round trip); `exec` runs a command on the same connection.
 */
export async function catSession(
  lab: TestLab,
  host: string,
): Promise<{ echo(): Promise<void>; close(): void; exec(cmd: string): Promise<string> }> {
  const c = await ssh2Client(lab, host);
  const ch = await new Promise<ClientChannel>((resolve, reject) =>
    c.exec("cat", (e, s) => (e ? reject(e) : resolve(s))),
  );
  let waiting: (() => void) | undefined;
  let buf = "";
  ch.on("data", (b: Buffer) => {
    buf += b.toString();
    if (buf.endsWith("\n") && waiting) {
      buf = "";
      const w = waiting;
      waiting = undefined;
      w();
    }
  });
  return {
    echo: () =>
      new Promise((resolve) => {
        waiting = resolve;
        ch.write("ping\n");
      }),
    exec: (cmd) =>
      new Promise((resolve, reject) =>
        c.exec(cmd, (e, s) => {
          if (e) return reject(e);
          let out = "";
          s.on("data", (b: Buffer) => (out += b.toString())).on("close", () => resolve(out));
          s.stderr.resume();
        }),
      ),
    close: () => c.end(),
  };
}
