/** Entry of the `weave` double (`test/double/path/weave` execs this after `npm run build`). */
import { doubleHome } from "../state";
import { Io, runMain } from "./io";
import { weaveMain } from "./weave";
import { makeCtx } from "./weavecore";

runMain(async () => weaveMain(makeCtx(new Io(), doubleHome(), process.env), process.argv.slice(2)));
