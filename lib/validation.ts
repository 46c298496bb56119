import type { z } from 'zod';
import { type FieldError, ValidationError } from './errors';

/** A JSON Pointer (RFC 6901) for a zod issue path. */
export function jsonPointer(path: readonly PropertyKey[]): string {
  return path.map((segment) => `/${String(segment).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

function isMissing(input: unknown, path: readonly PropertyKey[]): boolean {
  let parent = input;
  for (const segment of path.slice(0, -1)) {
    if (parent === null || typeof parent !== 'object') return false;
    parent = (parent as Record<PropertyKey, unknown>)[segment];
  }
  const last = path.at(-1);
  return last !== undefined && parent !== null && typeof parent === 'object' && !Object.hasOwn(parent, last);
}

/**
 * One entry per bad field (its first problem), in the order zod found them; unknown keys are
 * named one by one rather than as a list.
 */
export function toFieldErrors(issues: readonly z.core.$ZodIssue[], input: unknown): FieldError[] {
  const errors = issues.flatMap((issue): FieldError[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: jsonPointer([...issue.path, key]), message: 'unknown field' }));
    }
    if (issue.code === 'invalid_type' && isMissing(input, issue.path)) {
      return [{ path: jsonPointer(issue.path), message: 'is required' }];
    }
    return [{ path: jsonPointer(issue.path), message: issue.message }];
  });
  const seen = new Set<string>();
  return errors.filter((error) => !seen.has(error.path) && seen.add(error.path));
}

/** Parses with a zod schema, or throws a ValidationError that names every bad field. */
export function parseOrThrow<Schema extends z.ZodType>(schema: Schema, input: unknown): z.output<Schema> {
  const result = schema.safeParse(input);
  if (!result.success) throw new ValidationError(toFieldErrors(result.error.issues, input));
  return result.data;
}
