/**
 * Shape checks of daemon JSON bodies (stats samples, `system df`): the
 * fields a formula reads must have the type it reads them as. Every field is
 * optional (absent or null), since daemons and Podman leave fields out; a
 * present field of another type is a coded error (`DOCKER_MALFORMED`, with
 * the path), not a TypeError or a NaN deep in a formula. Fields we do not
 * read are not checked.
 */
import { DsError } from '../errors.js';

/** A leaf: a finite number, an integer (Go int64/uint64), a string, a boolean, or an array of strings or of numbers. */
type Leaf = 'number' | 'int' | 'string' | 'boolean' | 'strings' | 'numbers';
/** An object with these fields (others ignored), an array of one shape, or a map whose every value has one shape. */
export type Shape = Leaf | { readonly [field: string]: Shape } | readonly [Shape] | { readonly '*': Shape };

function fail(what: string, path: string, expected: string, got: unknown): never {
  const type = got === null ? 'null' : Array.isArray(got) ? 'array' : typeof got;
  throw new DsError('DOCKER_MALFORMED', `${what} has an unexpected shape`, { details: { path, expected, got: type } });
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function check(value: unknown, shape: Shape, what: string, path: string): void {
  if (value === undefined || value === null) return;
  if (typeof shape === 'string') {
    switch (shape) {
      case 'number':
        if (typeof value !== 'number' || !Number.isFinite(value)) fail(what, path, 'a number', value);
        return;
      case 'int':
        if (typeof value !== 'number' || !Number.isInteger(value)) fail(what, path, 'an integer', value);
        return;
      case 'string':
      case 'boolean':
        if (typeof value !== shape) fail(what, path, `a ${shape}`, value);
        return;
      case 'strings':
      case 'numbers': {
        const element = shape === 'strings' ? 'string' : 'number';
        if (!Array.isArray(value)) fail(what, path, `an array of ${shape}`, value);
        (value as unknown[]).forEach((v, i) => {
          if (typeof v !== element || (element === 'number' && !Number.isFinite(v))) fail(what, `${path}[${i}]`, `a ${element}`, v);
        });
        return;
      }
    }
  }
  if (Array.isArray(shape)) {
    if (!Array.isArray(value)) fail(what, path, 'an array', value);
    (value as unknown[]).forEach((v, i) => {
      // An element is an object: a null element is as wrong as a number.
      if (!isPlainObject(v)) fail(what, `${path}[${i}]`, 'an object', v);
      check(v, shape[0] as Shape, what, `${path}[${i}]`);
    });
    return;
  }
  if (!isPlainObject(value)) fail(what, path, 'an object', value);
  const each = (shape as { readonly '*'?: Shape })['*'];
  if (each !== undefined) {
    for (const [k, v] of Object.entries(value)) {
      if (v === null || v === undefined) fail(what, `${path}.${k}`, 'a value', v);
      check(v, each, what, `${path}.${k}`);
    }
    return;
  }
  for (const [field, inner] of Object.entries(shape as { readonly [field: string]: Shape })) check(value[field], inner, what, `${path}.${field}`);
}

/**
 * Throws `DOCKER_MALFORMED` (details: path, expected, got) unless `value` is
 * an object whose fields named in `shape` have their types.
 */
export function assertShape(value: unknown, shape: { readonly [field: string]: Shape }, what: string): void {
  if (!isPlainObject(value)) fail(what, '$', 'an object', value);
  check(value, shape, what, '$');
}
