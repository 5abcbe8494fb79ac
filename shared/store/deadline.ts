/**
 * Runs `operation` with an abort signal and rejects once `ms` have passed even if the
 * operation ignores the signal: the Cosmos SDK makes internal requests (container metadata,
 * account discovery) that do not all honour it, and a caller must never wait on a dead store.
 */
export async function withDeadline<T>(
  ms: number,
  operation: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new Error(`store operation exceeded ${ms} ms`);
      error.name = 'DeadlineExceeded';
      controller.abort(error);
      reject(error);
    }, ms);
  });
  const running = operation(controller.signal);
  // Whichever loses the race settles later with nobody listening; keep that from being "unhandled".
  running.catch(() => {});
  try {
    return await Promise.race([running, expired]);
  } finally {
    clearTimeout(timer);
  }
}
