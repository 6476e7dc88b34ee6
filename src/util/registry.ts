/**
 * A registry of named plug-ins (weighting methods, aggregators, architectures, task kinds), each with
 * the zod schema of the options it reads. Backed by a Map, so only registered names are found:
 * `get('constructor')` or `get('__proto__')` is an unknown name, never an Object.prototype member.
 *
 * Options are checked against the entry's schema — built-ins use `z.strictObject`, so a misspelt key
 * is one clear error naming the key, the method and the allowed keys:
 *   weighting "dwa": unknown option "temprature" (allowed: temperature)
 * and a bad value an error naming the key. User plug-ins registered without a schema get
 * `anyOptions` (every object is accepted; the plug-in checks its own options).
 *
 * Ground floor: imports nothing of the project, so every layer may use it.
 */
import { z } from 'zod';

/** The options schema of an entry that takes no options. */
export const noOptions = z.strictObject({});

/** The default options schema of a user plug-in: any object (the plug-in checks its own options). */
export const anyOptions = z.looseObject({});

export type OptionsSchema = z.ZodType;

/** How `parseOptions` / `optionErrors` treat keys that are not the entry's own options. */
export interface OptionKeys {
  /**
   * Keys the caller reads itself (an aggregator's `mode`): not validated, not returned, but listed
   * among the allowed keys in messages.
   */
  reserved?: readonly string[];
  /**
   * Keys the framework supplies rather than the user (a weighting's `taskNames`, the run's `seed`):
   * not validated, not returned, not listed.
   */
  context?: readonly string[];
}

/** Names of the kind of thing registered, for messages. */
export interface RegistryLabels {
  /** In "unknown <kind> "x": choose one of …", e.g. `weighting method`. */
  kind: string;
  /** In "<noun> "dwa": unknown option …", e.g. `weighting`; default: `kind`. */
  noun?: string;
}

interface Slot<T> {
  entry: T;
  schema: OptionsSchema;
}

/** The keys of an object schema (through optional/default/nullable wrappers), or null if it is not one. */
export function objectKeys(schema: z.ZodType | undefined): string[] | null {
  let s: unknown = schema;
  for (let i = 0; i < 8 && s; i++) {
    if (s instanceof z.ZodObject) return Object.keys(s.shape);
    if (s instanceof z.ZodOptional || s instanceof z.ZodNullable || s instanceof z.ZodDefault || s instanceof z.ZodPrefault) s = s.unwrap();
    else return null;
  }
  return null;
}

/** The schema at a path of object keys inside `schema` (for the allowed keys of a nested object). */
function schemaAt(schema: z.ZodType, path: readonly PropertyKey[]): z.ZodType | undefined {
  let s: z.ZodType | undefined = schema;
  for (const key of path) {
    let o: unknown = s;
    while (o instanceof z.ZodOptional || o instanceof z.ZodNullable || o instanceof z.ZodDefault || o instanceof z.ZodPrefault) o = o.unwrap();
    if (!(o instanceof z.ZodObject) || typeof key !== 'string') return undefined;
    s = (o.shape as Record<string, z.ZodType>)[key];
  }
  return s;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

export class Registry<T> {
  readonly kind: string;
  readonly noun: string;
  private readonly slots = new Map<string, Slot<T>>();

  constructor(labels: RegistryLabels) {
    this.kind = labels.kind;
    this.noun = labels.noun ?? labels.kind;
  }

  /** Adds (or replaces) an entry; `optionsSchema` defaults to `anyOptions`. */
  register(name: string, entry: T, optionsSchema: OptionsSchema = anyOptions): this {
    if (typeof name !== 'string' || name.length === 0) throw new Error(`${this.kind}: a name must be a non-empty string, got ${JSON.stringify(name)}`);
    if (!(optionsSchema instanceof z.ZodType)) throw new Error(`${this.noun} "${name}": the options schema must be a zod schema`);
    this.slots.set(name, { entry, schema: optionsSchema });
    return this;
  }

  has(name: string): boolean {
    return this.slots.has(name);
  }

  /** Registered names, in registration order. */
  names(): string[] {
    return [...this.slots.keys()];
  }

  /** The error for a name that is not registered: `unknown <kind> "<name>": choose one of a, b, c`. */
  unknownName(name: unknown): Error {
    return new Error(`unknown ${this.kind} "${String(name)}": choose one of ${this.names().join(', ')}`);
  }

  private slot(name: string): Slot<T> {
    const slot = typeof name === 'string' ? this.slots.get(name) : undefined;
    if (!slot) throw this.unknownName(name);
    return slot;
  }

  /** The entry registered under `name`; throws the unknown-name error otherwise. */
  get(name: string): T {
    return this.slot(name).entry;
  }

  /** The options schema of `name`. */
  schema(name: string): OptionsSchema {
    return this.slot(name).schema;
  }

  /** The option keys `name` accepts, or null when its schema is not an object schema (e.g. `anyOptions` is, with none). */
  optionKeys(name: string): string[] | null {
    return objectKeys(this.slot(name).schema);
  }

  /**
   * Every problem with `options` for `name`, one message each (empty: valid). An option set to
   * undefined counts as absent. Throws the unknown-name error for an unregistered name.
   */
  optionErrors(name: string, options: unknown, keys: OptionKeys = {}): string[] {
    return this.check(name, options, keys).errors;
  }

  /**
   * The options of `name` validated by its schema (without the reserved and context keys); throws one
   * Error listing every problem (see optionErrors).
   */
  parseOptions(name: string, options: unknown, keys: OptionKeys = {}): Record<string, unknown> {
    const { errors, value } = this.check(name, options, keys);
    if (errors.length) throw new Error(errors.join('; '));
    return value;
  }

  private check(name: string, options: unknown, keys: OptionKeys): { errors: string[]; value: Record<string, unknown> } {
    const { schema } = this.slot(name);
    const where = `${this.noun} "${name}"`;
    if (options === undefined || options === null) options = {};
    if (!isPlainObject(options)) return { errors: [`${where}: options must be an object, got ${JSON.stringify(options)}`], value: {} };
    const skip = new Set([...(keys.reserved ?? []), ...(keys.context ?? [])]);
    const own = Object.fromEntries(Object.entries(options).filter(([k, v]) => v !== undefined && !skip.has(k)));
    const result = schema.safeParse(own);
    if (result.success) return { errors: [], value: isPlainObject(result.data) ? result.data : own };
    const errors: string[] = [];
    for (const issue of result.error.issues) {
      const at = issue.path.map(String).join('.');
      if (issue.code === 'unrecognized_keys') {
        const nested = issue.path.length > 0;
        const allowed = [...(objectKeys(schemaAt(schema, issue.path)) ?? []), ...(nested ? [] : keys.reserved ?? [])];
        const list = allowed.length ? `allowed: ${allowed.join(', ')}` : `${nested ? `"${at}"` : name} takes no options`;
        for (const k of issue.keys) errors.push(`${where}: unknown option "${nested ? `${at}.${k}` : k}" (${list})`);
      } else if (at) {
        errors.push(`${where}: option "${at}": ${issue.message}`);
      } else {
        errors.push(`${where}: options: ${issue.message}`);
      }
    }
    return { errors, value: {} };
  }
}
