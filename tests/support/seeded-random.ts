/** A repeatable stream of numbers in [0, 1) (a linear congruential generator): same seed, same test. */
export function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}
