/** Plugin outcomes, shaped like the framework's Status (code + reasons). */
export type StatusCode = "Success" | "Unschedulable" | "UnschedulableAndUnresolvable" | "Error" | "Skip";

/** One resource the NodeResourcesFit filter found short on a node. */
export interface InsufficientResource {
  resourceName: string;
  reason: string;
  /** cpu in millicores, everything else in base units. */
  requested: number;
  used: number;
  capacity: number;
  unresolvable?: boolean;
}

export interface Status {
  readonly code: StatusCode;
  readonly reasons: readonly string[];
  /** The plugin that produced a non-success status (set by the framework). */
  readonly plugin?: string;
  readonly insufficientResources?: readonly InsufficientResource[];
}

export const success: Status = Object.freeze({ code: "Success", reasons: Object.freeze([]) });
export const skip: Status = Object.freeze({ code: "Skip", reasons: Object.freeze([]) });

export function unschedulable(...reasons: string[]): Status {
  return { code: "Unschedulable", reasons };
}

export function unresolvable(...reasons: string[]): Status {
  return { code: "UnschedulableAndUnresolvable", reasons };
}

export function errorStatus(message: string): Status {
  return { code: "Error", reasons: [message] };
}

export function isSuccess(s: Status): boolean {
  return s.code === "Success";
}
