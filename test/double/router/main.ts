/**
 * Entry of the router double: `node bin/test/double/router/main.js <weaver args…>`, started by
 * the double's `weave launch` inside the host's network namespace. A start-up failure logs a
 * FATA line and exits 1, which `weave launch` reports as "The weave container has died".
 */
import * as path from "path";
import { optionsLine, parseRouterArgs } from "./args";
import { startHttp } from "./http";
import { Logger } from "./log";
import { Router } from "./router";
import { isAlive, isDestroyed, listContainers, readBridge, readConfig } from "../state";

async function main(): Promise<void> {
  const home = process.env.WEAVE_DOUBLE_HOME;
  const log = new Logger(home ? path.join(home, "weave.log") : undefined);
  const cfg = parseRouterArgs(process.argv.slice(2), process.env);
  if ("fatal" in cfg) {
    if (cfg.raw) {
      // Bad values are found after weaver has logged its start-up lines (fixture 12).
      log.info(`Command line options: ${optionsLine(cfg.raw)}`);
      log.info(`weave  ${home ? readConfig(home).weaveVersion : "2.8.1"}`);
      log.info("Checking for pre-existing addresses on weave bridge");
    }
    log.line("FATA", cfg.fatal);
    process.exit(1);
  }
  // Weaver derives a default peer name from the system's IDs; a host without any cannot launch
  // unless it is given a name (seen on Docker-in-Docker hosts with real Weave 2.8.1).
  if (cfg.name === undefined && home && readConfig(home).systemIdsBlank) {
    log.line("FATA", "All system IDs are blank");
    process.exit(1);
  }
  const version = home ? readConfig(home).weaveVersion : "2.8.1";
  const router = new Router(cfg, {
    home,
    hostLabel: process.env.WEAVE_DOUBLE_HOST,
    checkpointDisabled: !!process.env.CHECKPOINT_DISABLE && process.env.CHECKPOINT_DISABLE !== "0",
    version,
    isAlive: (id) => (home ? isAlive(home, id) : false),
    isDestroyed: (id) => (home ? isDestroyed(home, id) : false),
    localMacs: () =>
      home
        ? listContainers(home)
            .filter((c) => c.State.Running && c.Weave)
            .map((c) => c.Weave!.Mac)
        : [],
    donorPreference: () => (home ? (readConfig(home).donorPreference ?? []) : []),
    bridgeMac: home ? readBridge(home)?.Mac : undefined,
    deadGraceMs: Number(process.env.WEAVE_DOUBLE_DEAD_GRACE_MS ?? 30_000),
  });
  router.onFatal = (code) => process.exit(code);
  // A bug in the double must not print a Node stack into a log that claims to be Weave's.
  process.on("uncaughtException", (e) =>
    log.line("ERRO", `double: ${e instanceof Error ? e.message : String(e)}`),
  );
  process.on("unhandledRejection", (e) =>
    log.line("ERRO", `double: ${e instanceof Error ? e.message : String(e)}`),
  );
  try {
    await router.start();
    await startHttp(router);
  } catch (e) {
    log.line("FATA", (e as Error).message);
    process.exit(1);
  }
  const bye = (): void => {
    void router.stop().finally(() => process.exit(0));
  };
  process.on("SIGTERM", bye);
  process.on("SIGINT", bye);
}

void main();
