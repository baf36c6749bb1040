export type { Labels, Requirement, RequirementOperator, Selector } from "./label-selector.ts";
export {
  everything,
  labelSelector,
  newRequirement,
  nothing,
  requirementMatches,
  selectorFromRequirements,
  selectorFromSet,
} from "./label-selector.ts";
export type { CompiledNodeSelector, ParsedNodeSelectorTerm } from "./node-selector.ts";
export {
  compileNodeSelector,
  compileNodeSelectorStrict,
  nodeSelectorTermMatches,
  parseNodeSelectorTerm,
} from "./node-selector.ts";
export { labelKeyError, labelValueError } from "./validation.ts";
