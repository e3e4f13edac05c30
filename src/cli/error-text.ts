/** What a thrown value says, for one-line reports: its message and Node's string error code (ECONNREFUSED, ...). */

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function errorCodeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}
