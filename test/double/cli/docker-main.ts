/** Entry of the `docker` double (`test/double/path/docker` execs this after `npm run build`). */
import { doubleHome } from "../state";
import { dockerMain } from "./docker";
import { Io, runMain } from "./io";
import { makeCtx } from "./weavecore";

runMain(async () => dockerMain(makeCtx(new Io(), doubleHome(), process.env), process.argv.slice(2)));
