/**
 * Started detached by the double's `weave launch` for a router with the restart policy `always`:
 * restarts the router when its process dies, as dockerd does (see `restart-monitor.ts`). Its env
 * is the router's.
 */
import { doubleHome } from "../state";
import { runMain } from "./io";
import { monitor } from "./restart-monitor";

runMain(async () => {
  await monitor(doubleHome(), process.argv[2] ?? "", process.env);
  return 0;
});
