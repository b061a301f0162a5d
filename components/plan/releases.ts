/**
 * The Weave releases weave-lab can drive, with the facts the planner needs about each.
 *
 * - weaveworks/weave: 2.8.1 is the last release (the repository is archived); its helpers speak
 *   Docker API 1.18, so Docker Engine 25+ refuses them (reference G1).
 * - rajch/weave (the maintained fork): tags v2.8.2 … v2.8.10 and v2.9.0 (2024-12-22); 2.9.0 is
 *   the only 2.9.x release. Since 2.8.3 its helpers speak Docker API 1.24 and honour
 *   `DOCKER_API_VERSION`; 2.9.0 defaults to the iptables-nft backend (`IPTABLES_BACKEND=legacy`
 *   switches back) and its script exports `CHECKPOINT_DISABLE=1` itself. Launch flags are the
 *   same as 2.8.1's. Its images live under Docker Hub user `rajchaudhuri`. Its script runs the
 *   helper container with `docker run -t` (see `weaveEnv` in weave/commands.ts for why and how
 *   weave-lab undoes that).
 */
import type { WeaveDistribution } from "../spec";

export interface WeaveRelease {
  /** Docker API version the release's helpers (weaveutil, proxy) speak. */
  dockerApiVersion: string;
  /** Release asset of the `weave` script. */
  scriptUrl: string;
  /** Whether the script passes `DOCKER_API_VERSION` on to its helper containers. */
  honoursDockerApiVersion: boolean;
}

export const WEAVE_RELEASES: Record<WeaveDistribution, Record<string, WeaveRelease>> = {
  weaveworks: {
    "2.8.1": {
      dockerApiVersion: "1.18",
      scriptUrl: "https://github.com/weaveworks/weave/releases/download/v2.8.1/weave",
      honoursDockerApiVersion: false,
    },
  },
  rajch: {
    "2.9.0": {
      dockerApiVersion: "1.24",
      scriptUrl: "https://github.com/rajch/weave/releases/download/v2.9.0/weave",
      honoursDockerApiVersion: true,
    },
  },
};
