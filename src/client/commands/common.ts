/** Small pieces the command modules share: help examples and checks of operator input. */
import { parseIsoDate, RotationError } from '../../domain';
import { UsageError } from '../errors';

/** The "Example:" block every command's --help ends with. */
export function examples(...lines: string[]): string {
  return `\nExample${lines.length > 1 ? 's' : ''}:\n${lines.map((line) => `  $ ${line}`).join('\n')}`;
}

/** A `YYYY-MM-DD` option; anything else is a usage error naming the flag. */
export function dateOption(text: string, flag: string): string {
  try {
    return parseIsoDate(text.trim());
  } catch (err) {
    if (err instanceof RotationError) throw new UsageError(`${flag}: ${err.message}`);
    throw err;
  }
}

/** A whole number within [min, max]; anything else is a usage error naming the flag. */
export function countOption(text: string, flag: string, min: number, max: number): number {
  const value = /^\d+$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!(value >= min && value <= max)) {
    throw new UsageError(`${flag} must be a whole number from ${min} to ${max} (got "${text}").`);
  }
  return value;
}

/** Runs a domain call whose `RotationError` is the operator's mistake. */
export function usage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof RotationError) throw new UsageError(err.message);
    throw err;
  }
}

export interface JsonOption {
  json?: boolean;
}
