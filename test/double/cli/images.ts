/**
 * What the docker double knows about images. There is no registry here: any image "exists", and
 * a few that the lab and the fixtures use carry the metadata Docker would read from them.
 */

export interface ImageMeta {
  Entrypoint: string[] | null;
  Cmd: string[] | null;
  /** `80/tcp` style keys, published by `-P`. */
  ExposedPorts: string[];
  /** The container serves `GET /cgi-bin/host` (the textbook's lab/web image). */
  serves: boolean;
  /**
   * Built on busybox alone: no `getent` (glibc and musl images have one; real Weave 2.8.1 showed
   * `docker exec <busybox container> getent …` failing with "executable file not found").
   */
  busybox: boolean;
  /** The image's own command is a shell (busybox, alpine, debian…): without a tty it exits at once. */
  shellCmd: boolean;
}

const KNOWN: Record<string, ImageMeta> = {
  "lab/web:1": {
    Entrypoint: null,
    Cmd: ["/bin/httpd", "-f", "-p", "80", "-h", "/www"],
    ExposedPorts: ["80/tcp"],
    serves: true,
    busybox: true,
    shellCmd: false,
  },
  "weaveworks/weave": {
    Entrypoint: ["/home/weave/weaver"],
    Cmd: null,
    ExposedPorts: [],
    serves: false,
    busybox: false,
    shellCmd: false,
  },
  "weaveworks/weaveexec": {
    Entrypoint: ["data-only"],
    Cmd: null,
    ExposedPorts: [],
    serves: false,
    busybox: false,
    shellCmd: false,
  },
  "weaveworks/weavedb": {
    Entrypoint: ["data-only"],
    Cmd: null,
    ExposedPorts: [],
    serves: false,
    busybox: false,
    shellCmd: false,
  },
  "rajch/weave": {
    Entrypoint: ["/home/weave/weaver"],
    Cmd: null,
    ExposedPorts: [],
    serves: false,
    busybox: false,
    shellCmd: false,
  },
  "rajch/weaveexec": {
    Entrypoint: ["data-only"],
    Cmd: null,
    ExposedPorts: [],
    serves: false,
    busybox: false,
    shellCmd: false,
  },
  "rajch/weavedb": {
    Entrypoint: ["data-only"],
    Cmd: null,
    ExposedPorts: [],
    serves: false,
    busybox: false,
    shellCmd: false,
  },
};

/** Docker's normalisation: a missing tag means `:latest`. */
export function normaliseImage(image: string): string {
  const lastSlash = image.lastIndexOf("/");
  return image.slice(lastSlash + 1).includes(":") || image.includes("@") ? image : `${image}:latest`;
}

/** Base images whose default command is a shell (it exits at once in a detached container). */
const SHELL_IMAGES = /^(?:library\/)?(busybox|alpine|debian|ubuntu)$/;

export function imageMeta(image: string): ImageMeta {
  const full = normaliseImage(image);
  const repo = full.replace(/:[^/:]*$/, "");
  const known = KNOWN[full] ?? KNOWN[repo];
  if (known) return known;
  const base = SHELL_IMAGES.exec(repo)?.[1];
  return {
    Entrypoint: null,
    Cmd: ["/bin/sh"],
    ExposedPorts: [],
    serves: false,
    busybox: base === "busybox",
    shellCmd: base !== undefined,
  };
}
