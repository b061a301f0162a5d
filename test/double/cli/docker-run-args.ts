/** The `docker run` command line as Docker 20.10 reads it: which flags take a value, and their long names. */

/** Options of `docker run` that take a value (long and short names). */
const RUN_VALUE_FLAGS = new Set([
  "--name",
  "-e",
  "--env",
  "-p",
  "--publish",
  "--restart",
  "--dns",
  "--dns-search",
  "--net",
  "--network",
  "-h",
  "--hostname",
  "--domainname",
  "-v",
  "--volume",
  "-l",
  "--label",
  "--entrypoint",
  "-w",
  "--workdir",
  "-u",
  "--user",
  "--add-host",
  "--cap-add",
  "--cap-drop",
  "--pid",
  "-m",
  "--memory",
  "--log-driver",
  "--log-opt",
  "--network-alias",
  "--volumes-from",
  "--env-file",
  "--ip",
  "--mac-address",
  "--device",
  "--ulimit",
  "--security-opt",
  "--tmpfs",
  "--shm-size",
  "--cpus",
  "--stop-signal",
  "--runtime",
  "--init-path",
]);
const RUN_BOOL_FLAGS = new Set([
  "-d",
  "--detach",
  "-P",
  "--publish-all",
  "--rm",
  "-i",
  "--interactive",
  "-t",
  "--tty",
  "--privileged",
  "--init",
  "--read-only",
]);
const SHORT_BOOL = new Set(["d", "P", "i", "t"]);
const SHORT_VALUE = new Set(["e", "p", "h", "v", "l", "w", "u", "m"]);

interface RunOpts {
  values: Array<[string, string]>;
  bools: Set<string>;
  image: string;
  cmd: string[];
}

function canonical(flag: string): string {
  const alias: Record<string, string> = {
    "-e": "--env",
    "-p": "--publish",
    "-h": "--hostname",
    "-v": "--volume",
    "-l": "--label",
    "-w": "--workdir",
    "-u": "--user",
    "-m": "--memory",
    "--network": "--net",
    "-d": "--detach",
    "-P": "--publish-all",
    "-i": "--interactive",
    "-t": "--tty",
  };
  return alias[flag] ?? flag;
}

/** Parse `docker run|create` flags the way Docker's pflag does (combined short flags, `--x=v`). */
export function parseRunArgs(args: string[]): RunOpts | { error: string } {
  const values: Array<[string, string]> = [];
  const bools = new Set<string>();
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i];
    if (a === "--") {
      i++;
      break;
    }
    if (!a.startsWith("-") || a === "-") break;
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const name = eq >= 0 ? a.slice(0, eq) : a;
      if (RUN_BOOL_FLAGS.has(name)) {
        const v = eq >= 0 ? a.slice(eq + 1) : "true";
        if (v !== "false") bools.add(canonical(name));
        continue;
      }
      if (!RUN_VALUE_FLAGS.has(name)) return { error: `unknown flag: ${name}` };
      if (eq >= 0) values.push([canonical(name), a.slice(eq + 1)]);
      else {
        if (i + 1 >= args.length) return { error: `flag needs an argument: ${name}` };
        values.push([canonical(name), args[++i]]);
      }
      continue;
    }
    // Short flags, possibly combined (-dP, -it, -e=K=V, -eK=V).
    const body = a.slice(1);
    for (let j = 0; j < body.length; j++) {
      const ch = body[j];
      if (SHORT_BOOL.has(ch)) {
        bools.add(canonical(`-${ch}`));
        continue;
      }
      if (SHORT_VALUE.has(ch)) {
        let rest = body.slice(j + 1);
        if (rest.startsWith("=")) rest = rest.slice(1);
        if (rest) values.push([canonical(`-${ch}`), rest]);
        else {
          if (i + 1 >= args.length) return { error: `flag needs an argument: '${ch}' in -${ch}` };
          values.push([canonical(`-${ch}`), args[++i]]);
        }
        break;
      }
      return { error: `unknown shorthand flag: '${ch}' in ${a}` };
    }
  }
  if (i >= args.length) return { error: '"docker run" requires at least 1 argument.' };
  return { values, bools, image: args[i], cmd: args.slice(i + 1) };
}

export const all = (o: RunOpts, k: string): string[] => o.values.filter(([n]) => n === k).map(([, v]) => v);
export const last = (o: RunOpts, k: string): string | undefined => all(o, k).pop();
