/**
 * Config validation errors worded like apimachinery's field.Error
 * ("Invalid value: 101: ...", "Required value", "Unsupported value: ..."),
 * carried as KiteError with the field path.
 */
import { KiteError } from "../errors/mod.ts";

export type FieldErrorType =
  | "FieldValueInvalid"
  | "FieldValueRequired"
  | "FieldValueNotSupported"
  | "FieldValueDuplicate"
  | "FieldValueForbidden"
  | "FieldValueTypeInvalid";

const prefixes: Record<FieldErrorType, string> = {
  FieldValueInvalid: "Invalid value",
  FieldValueRequired: "Required value",
  FieldValueNotSupported: "Unsupported value",
  FieldValueDuplicate: "Duplicate value",
  FieldValueForbidden: "Forbidden",
  FieldValueTypeInvalid: "Invalid value",
};

function show(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
}

export function fieldInvalid(field: string, value: unknown, detail: string): KiteError {
  return new KiteError("invalid_argument", `${prefixes.FieldValueInvalid}: ${show(value)}: ${detail}`, {
    field,
  });
}

export function fieldRequired(field: string, detail: string): KiteError {
  return new KiteError("invalid_argument", `${prefixes.FieldValueRequired}${detail ? `: ${detail}` : ""}`, {
    field,
  });
}

export function fieldNotSupported(field: string, value: unknown, supported: readonly string[]): KiteError {
  return new KiteError(
    "invalid_argument",
    `${prefixes.FieldValueNotSupported}: ${show(value)}: supported values: ${supported.map((s) => JSON.stringify(s)).join(", ")}`,
    { field },
  );
}

export function fieldDuplicate(field: string, value: unknown): KiteError {
  return new KiteError("invalid_argument", `${prefixes.FieldValueDuplicate}: ${show(value)}`, { field });
}

/** The field.ErrorType a KiteError from config validation stands for. */
export function fieldErrorType(err: KiteError): FieldErrorType | undefined {
  const m = err.rawMessage;
  if (m.startsWith("Invalid value")) return "FieldValueInvalid";
  if (m.startsWith("Required value")) return "FieldValueRequired";
  if (m.startsWith("Unsupported value")) return "FieldValueNotSupported";
  if (m.startsWith("Duplicate value")) return "FieldValueDuplicate";
  if (m.startsWith("Forbidden")) return "FieldValueForbidden";
  return undefined;
}

/** Reads an object-typed argument, or fails naming the field. */
export function asObject(value: unknown, field: string): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value))
    throw fieldInvalid(field, value, "must be an object");
  return value as Record<string, unknown>;
}

export function asArray(value: unknown, field: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw fieldInvalid(field, value, "must be a list");
  return value;
}

export function asInteger(value: unknown, field: string): number {
  if (typeof value !== "number" || !Number.isInteger(value))
    throw fieldInvalid(field, value, "must be an integer");
  return value;
}

export function asString(value: unknown, field: string): string {
  if (typeof value !== "string") throw fieldInvalid(field, value, "must be a string");
  return value;
}

export function asBoolean(value: unknown, field: string): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== "boolean") throw fieldInvalid(field, value, "must be a boolean");
  return value;
}
