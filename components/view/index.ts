/** The range picture (SVG) and text table, pure functions of a `RangeView`. */
export {
  RangeView,
  RangeViewContainer,
  RangeViewHost,
  ipv4ToInt,
  intToIpv4,
  parseCidr,
  unownedSpans,
} from "./model";
export { renderRangeSvg } from "./svg";
export { HOST_COLOURS, LAYOUT } from "./layout";
export { renderRangeTable } from "./table";
export { viewFromPlan } from "./from-plan";
