import { z } from "zod";

/** A number a schema option takes, read from protocol's zod schema (so the form follows the schema). */
export interface NumberParameter {
  /** Its path inside the option, dotted for a nested object (`quantisation.clip`). */
  readonly key: string;
  readonly integer: boolean;
  /** Neither defaulted nor optional: the schema refuses the option without it. */
  readonly required: boolean;
  /** The schema's default, filled in when the input is left empty. */
  readonly defaultValue: number | undefined;
  /** The schema's bounds in words (`≥ 0, < 1`), empty when it has none. */
  readonly bounds: string;
}

/** One option of a discriminated union (a strategy, a DP mode, a scoring method…) and the numbers it takes. */
export interface SchemaVariant {
  readonly name: string;
  readonly parameters: readonly NumberParameter[];
}

/** A discriminated union's key (`name`, `mode`…) and its options, in the schema's order. */
export interface SchemaUnion {
  readonly discriminator: string;
  readonly variants: readonly SchemaVariant[];
}

function boundsOf(schema: z.ZodNumber): string {
  const words: string[] = [];
  for (const check of schema.def.checks ?? []) {
    const def = check._zod.def as { check?: string; value?: unknown; inclusive?: boolean };
    if (typeof def.value !== "number") continue;
    if (def.check === "greater_than") words.push(`${def.inclusive ? "≥" : ">"} ${def.value}`);
    if (def.check === "less_than") words.push(`${def.inclusive ? "≤" : "<"} ${def.value}`);
  }
  return words.join(", ");
}

/** The numbers an object schema takes, nested objects flattened into dotted keys. */
export function numberParameters(shape: Readonly<Record<string, z.ZodType>>, prefix = ""): NumberParameter[] {
  const found: NumberParameter[] = [];
  for (const [name, field] of Object.entries(shape)) {
    let inner: z.ZodType = field;
    let defaultValue: unknown;
    let required = true;
    for (;;) {
      if (inner instanceof z.ZodDefault) {
        defaultValue = inner.def.defaultValue;
        required = false;
        inner = inner.def.innerType as z.ZodType;
      } else if (inner instanceof z.ZodOptional) {
        required = false;
        inner = inner.def.innerType as z.ZodType;
      } else break;
    }
    const key = `${prefix}${name}`;
    if (inner instanceof z.ZodObject) found.push(...numberParameters(inner.shape, `${key}.`));
    else if (inner instanceof z.ZodNumber) {
      found.push({
        key,
        integer: inner.isInt,
        required,
        defaultValue: typeof defaultValue === "number" ? defaultValue : undefined,
        bounds: boundsOf(inner),
      });
    }
  }
  return found;
}

/**
 * The options of one of protocol's discriminated unions (`StrategySpecSchema`, `DpSpecSchema`…) with the numbers each
 * takes: the form lists what the schema accepts, so an option added to the protocol appears in the portal unedited.
 * Fields that are not numbers (a CID, the discriminator) are left to the form.
 */
export function variantsOf(union: z.ZodType): SchemaUnion {
  if (!(union instanceof z.ZodDiscriminatedUnion)) throw new TypeError("not a discriminated union");
  const discriminator = union.def.discriminator;
  const variants = (union.options as readonly z.ZodType[]).map((option) => {
    if (!(option instanceof z.ZodObject)) throw new TypeError("a discriminated union's option is not an object");
    const tag = option.shape[discriminator];
    if (!(tag instanceof z.ZodLiteral) || typeof tag.value !== "string") {
      throw new TypeError(`option without a string literal ${discriminator}`);
    }
    const { [discriminator]: _, ...rest } = option.shape as Record<string, z.ZodType>;
    return { name: tag.value, parameters: numberParameters(rest) };
  });
  return { discriminator, variants };
}
