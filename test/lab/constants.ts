/**
 * Where the lab finds the repository and the Weave double, and the fixed numbers of a namespace
 * host (its inner sshd port, how long it may take to answer).
 */
import * as fs from "fs";
import * as path from "path";

/**
 * The repository root: the nearest directory above this file with a `package.json` (the same
 * whether this runs from `test/lab/` under ts-jest/ts-node or compiled under `bin/test/lab/`).
 */
export const REPO_ROOT = findRepoRoot(__dirname);

function findRepoRoot(from: string): string {
  for (let d = from; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, "package.json"))) return d;
    if (path.dirname(d) === d) return path.resolve(__dirname, "..", "..");
  }
}
/** Directory of the double's `weave` and `docker` executables, first on every lab session's PATH. */
export const DOUBLE_PATH_DIR = path.join(REPO_ROOT, "test", "double", "path");
export const SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/**
 * How long a host's sshd and proxy may take to answer. Generous: on a loaded 2-CPU runner every
 * sshd connection (a fork and re-exec of sshd) can take seconds.
 */
export const READY_TIMEOUT_MS = 30_000;
/** Port sshd listens on inside a host; port 22 is the delay proxy in front of it. */
export const INNER_SSH_PORT = 2022;
