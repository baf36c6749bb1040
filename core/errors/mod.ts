export type { KiteErrorCode, KiteErrorOptions } from "./kite-error.ts";
export { invalidArgument, joinFieldPath, KiteError } from "./kite-error.ts";
