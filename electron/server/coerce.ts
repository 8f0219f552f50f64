/**
 * Query strings and path segments are text; the contract's schemas want
 * numbers, booleans and lists. This reads each value as the type its field
 * declares, so the same zod schema validates HTTP and IPC input alike.
 */
import type * as z from 'zod';

type Def = { type: string; innerType?: z.ZodType; element?: z.ZodType; shape?: Record<string, z.ZodType> };
const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** The schema under optional/default/nullable wrappers. */
function base(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (;;) {
    const def = defOf(s);
    if ((def.type === 'optional' || def.type === 'default' || def.type === 'nullable' || def.type === 'prefault') && def.innerType) s = def.innerType;
    else return s;
  }
}

function coerceValue(schema: z.ZodType | undefined, raw: string | string[]): unknown {
  if (!schema) return raw;
  const s = base(schema);
  const type = defOf(s).type;
  const one = Array.isArray(raw) ? raw[raw.length - 1]! : raw;
  switch (type) {
    case 'number': {
      // Digits only (with an optional minus): "0x10", "1e3" and " 7" stay text and fail validation.
      return /^-?\d{1,15}$/.test(one) ? Number(one) : one;
    }
    case 'boolean':
      return one === 'true' ? true : one === 'false' ? false : one;
    case 'array': {
      const parts = (Array.isArray(raw) ? raw : [raw]).flatMap((v) => v.split(',')).filter((v) => v !== '');
      const element = defOf(s).element;
      return parts.map((p) => coerceValue(element, p));
    }
    default:
      return one;
  }
}

/** Types the fields of a query-string or path-parameter object by the object schema. */
export function coerceFields(schema: z.ZodType, values: Record<string, string | string[] | undefined>): Record<string, unknown> {
  const shape = defOf(base(schema)).shape ?? {};
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) continue;
    out[key] = coerceValue(shape[key], value);
  }
  return out;
}
