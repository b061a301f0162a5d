/**
 * A namespace lab's delay-proxy daemon (`delay-proxy.ts`, one process per lab in the root
 * namespace): it carries every host's port-22 traffic to its sshd and adds the latency a test
 * asks for through its control socket.
 */
import { spawn } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { INNER_SSH_PORT, READY_TIMEOUT_MS } from "./constants";
import type { LabLayout } from "./layout";
import { LAB_ROOT } from "./state";

/** The lab's delay-proxy daemon and a way to talk to it. */
export interface DelayDaemon {
  pid: number;
  request(req: Record<string, unknown>): Promise<void>;
}

export async function startDelayDaemon(id: string, ctl: string, layout: LabLayout): Promise<DelayDaemon> {
  const script = await transpiledProxy();
  const controlSocket = path.join(ctl, "proxy.ctl");
  const configFile = path.join(ctl, "proxy.json");
  fs.writeFileSync(
    configFile,
    JSON.stringify({
      labId: id,
      ownerPid: process.pid,
      controlSocket,
      hosts: layout.hosts.map((h) => ({
        name: h.name,
        listen: path.join(ctl, h.name, "ssh.sock"),
        target: { host: h.address, port: INNER_SSH_PORT },
      })),
    }),
  );
  const log = fs.openSync(path.join(ctl, "proxy.log"), "a");
  const child = spawn(process.execPath, [script, configFile], {
    detached: true,
    stdio: ["ignore", "pipe", log],
  });
  fs.closeSync(log);
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(
      () =>
        reject(
          new Error(
            `lab ${id}: delay proxy not ready after ${READY_TIMEOUT_MS / 1000} s (see ${ctl}/proxy.log)`,
          ),
        ),
      READY_TIMEOUT_MS,
    );
    let out = "";
    child.stdout?.on("data", (b: Buffer) => {
      out += b.toString();
      if (out.includes("ready\n")) {
        clearTimeout(t);
        resolve();
      }
    });
    child.once("exit", (code, sig) => {
      clearTimeout(t);
      reject(new Error(`lab ${id}: delay proxy exited ${code ?? sig} (see ${ctl}/proxy.log)`));
    });
  });
  child.stdout?.destroy();
  child.removeAllListeners("exit");
  child.unref();
  return {
    pid: child.pid as number,
    request: (req) =>
      new Promise((resolve, reject) => {
        const s = net.connect(controlSocket);
        let buf = "";
        s.on("connect", () => s.write(JSON.stringify(req) + "\n"));
        s.on("data", (b) => {
          buf += b.toString();
          if (!buf.includes("\n")) return;
          s.destroy();
          const ans = JSON.parse(buf) as { ok: boolean; error?: string };
          if (ans.ok) resolve();
          else reject(new Error(`lab ${id}: delay proxy refused ${JSON.stringify(req)}: ${ans.error}`));
        });
        s.on("error", (e) => reject(new Error(`lab ${id}: delay proxy control: ${e.message}`)));
      }),
  };
}

/** `delay-proxy.ts` as plain JavaScript, transpiled once per content and cached under the lab root. */
async function transpiledProxy(): Promise<string> {
  // Compiled (bin/): the JavaScript sits beside this file already.
  const compiled = path.join(__dirname, "delay-proxy.js");
  if (!fs.existsSync(path.join(__dirname, "delay-proxy.ts")) && fs.existsSync(compiled)) return compiled;
  const src = fs.readFileSync(path.join(__dirname, "delay-proxy.ts"), "utf8");
  const hash = createHash("sha256").update(src).digest("hex").slice(0, 16);
  const out = path.join(LAB_ROOT, ".cache", `delay-proxy-${hash}.js`);
  if (fs.existsSync(out)) return out;
  const ts = await import("typescript");
  const js = ts.transpileModule(src, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(`${out}.${process.pid}.tmp`, js);
  fs.renameSync(`${out}.${process.pid}.tmp`, out);
  return out;
}
