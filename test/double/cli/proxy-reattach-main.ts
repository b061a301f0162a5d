/**
 * Started detached by the double's `weave launch` when the router's proxy comes up: re-attaches
 * running proxy containers in the background, as the real proxy does on start (it may block
 * until IPAM has a ring, so it must not hold up the launch).
 */
import { doubleHome } from "../state";
import { Io, runMain } from "./io";
import { reattachProxyContainers } from "./proxy";
import { makeCtx } from "./weavecore";

runMain(async () => {
  await reattachProxyContainers(makeCtx(new Io(), doubleHome(), process.env));
  return 0;
});
