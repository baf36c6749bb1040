import { asObject } from "../field-error.ts";

/** resolveArgs for plugins that take no arguments: anything but an object is an error. */
export function resolveNoArgs(args: unknown): Record<string, never> {
  asObject(args, "args");
  return {};
}
