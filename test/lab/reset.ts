/** Putting hosts that outlive a test (`WEAVE_LAB_HOSTS` machines) back as the next test expects them. */
import { closeAll } from "../../components/remote";
import type { TestLab } from "./types";

/**
 * Leave real hosts as a test expects to find them: no Weave router (a failed run of an earlier
 * test may have left one, and every later test would then meet "a running Weave router that is
 * not this lab's") and none of the containers weave-lab made.
 */
export async function resetRealHosts(lab: TestLab): Promise<void> {
  await Promise.all(
    lab.hosts.map(async (h) => {
      const r = await lab.ssh(
        h.name,
        'ids=$(docker ps -aq --filter label=weave-lab.lab); [ -z "$ids" ] || docker rm -f $ids >/dev/null; weave reset --force >/dev/null 2>&1; true',
        { timeoutMs: 120_000 },
      );
      if (r.code !== 0)
        throw new Error(`${h.name}: could not reset the host before the test: ${r.stderr.trim()}`);
    }),
  );
}

/**
 * In the calling suite, after each test on hosts that outlive it (Docker-in-Docker, real): close
 * the transport's pooled SSH sessions and put the hosts back, since a failed test leaves routers
 * and containers behind. Namespace labs are made fresh per suite and need nothing.
 */
export function resetHostsAfterEachTest(lab: () => TestLab | undefined): void {
  afterEach(async () => {
    const l = lab();
    if (l && l.kind !== "namespace") {
      await closeAll();
      await resetRealHosts(l);
    }
  });
}
