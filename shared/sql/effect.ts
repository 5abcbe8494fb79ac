import { EFFECTS, type Effect } from '../types.js';

export function worstEffect(a: Effect, b: Effect): Effect {
  return EFFECTS.indexOf(a) >= EFFECTS.indexOf(b) ? a : b;
}
