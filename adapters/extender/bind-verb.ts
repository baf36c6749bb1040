/** POST {prefix}/bind: creates the pods/binding subresource through the injected binder. */
import { KiteError } from "../../core/errors/mod.ts";
import type { Binder } from "./binder.ts";
import type { ExtenderBindingArgs, ExtenderBindingResult } from "./wire.ts";

export async function bindVerb(args: ExtenderBindingArgs, binder: Binder): Promise<ExtenderBindingResult> {
  try {
    await binder.bind(args.PodNamespace, args.PodName, args.PodUID, args.Node);
    return { Error: "" };
  } catch (e) {
    return { Error: KiteError.from(e).message };
  }
}
