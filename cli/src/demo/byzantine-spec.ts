import type { UpdateTransform } from "@tributary/trainer-agent";
import { z } from "zod";

/** The attacks the demo's Byzantine trainers can play (robustness testing only). */
export const BYZANTINE_ATTACKS = ["sign-flip", "scale-100"] as const;
export type ByzantineAttack = (typeof BYZANTINE_ATTACKS)[number];

/** The first `count` trainer agents of a demo run Byzantine, each sending its update with `attack` applied. */
export interface ByzantineSpec {
  readonly count: number;
  readonly attack: ByzantineAttack;
}

/** `K:ATTACK` on the command line, e.g. `2:sign-flip`. */
export const ByzantineOptionSchema = z
  .string()
  .regex(
    new RegExp(`^[0-9]+:(${BYZANTINE_ATTACKS.join("|")})$`),
    `must be K:ATTACK with ATTACK one of ${BYZANTINE_ATTACKS.join(", ")}, e.g. 2:sign-flip`,
  )
  .transform((text): ByzantineSpec => {
    const [count, attack] = text.split(":") as [string, ByzantineAttack];
    return { count: Number(count), attack };
  });

/**
 * The attack as the trainer agent's `updateTransform`: the honest update negated (`sign-flip`) or multiplied by
 * 100 (`scale-100`), in a new array.
 */
export function byzantineTransform(attack: ByzantineAttack): UpdateTransform {
  const factor = attack === "sign-flip" ? -1 : 100;
  return (update) => update.map((value) => factor * value);
}
